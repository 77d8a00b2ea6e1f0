/**
 * The length of the longest tail of `text` that is a proper prefix of one of `patterns`: how much
 * of a stream to hold back because the next piece may complete a pattern.
 */
export function partialMatchLength(text: string, patterns: readonly string[]): number {
  const longest = Math.max(0, ...patterns.map((pattern) => pattern.length));
  for (let length = Math.min(text.length, longest - 1); length > 0; length--) {
    const tail = text.slice(text.length - length);
    if (patterns.some((pattern) => pattern.length > length && pattern.startsWith(tail))) return length;
  }
  return 0;
}
