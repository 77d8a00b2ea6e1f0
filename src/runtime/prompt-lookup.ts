/** The longest tail matched against earlier text; shorter tails are tried when it has no earlier match. */
const LONGEST_NGRAM = 3;
/** A single repeated token is too weak a sign that the text after it repeats too. */
const SHORTEST_NGRAM = 2;

/**
 * Prompt-lookup drafts: finds the most recent earlier occurrence of the sequence's last few ids
 * (three, else two) and returns up to `count` ids that followed it. A model quoting its input, or
 * repeating itself, is likely to go on the same way; the drafts are only proposals, which the
 * caller checks against the model's own choices.
 */
export function lookupDrafts(history: readonly number[], count: number): number[] {
  if (count <= 0) return [];
  for (let n = Math.min(LONGEST_NGRAM, history.length - 1); n >= SHORTEST_NGRAM; n--) {
    const tail = history.length - n;
    for (let start = tail - 1; start >= 0; start--) {
      if (startsWithTail(history, start, tail, n)) return history.slice(start + n, Math.min(start + n + count, history.length));
    }
  }
  return [];
}

function startsWithTail(history: readonly number[], start: number, tail: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (history[start + j] !== history[tail + j]) return false;
  return true;
}
