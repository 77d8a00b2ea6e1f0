/** Reads standard input to the end when it is a pipe or a file; undefined on a terminal. */
export async function readPipedStdin(stream: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  if (stream.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The prompt argument and piped text joined as documented: prompt, a blank line, then stdin. */
export function joinPrompt(argument: string | undefined, piped: string | undefined): string | undefined {
  const stdinText = piped?.replace(/\s+$/, '');
  const parts = [argument, stdinText].filter((part): part is string => part !== undefined && part.trim() !== '');
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}
