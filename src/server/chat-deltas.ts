import { ToolCallParser, type ToolCall, type ToolCallFormat } from '../runtime/tools/index.js';

/** A step of a chat reply: text to show and tool calls completed. */
export interface ChatDelta {
  content: string;
  calls: ToolCall[];
}

/**
 * A reply's text pieces as chat deltas: as they are without tools; with a tool-call format, the
 * calls are taken out of the text as they complete (a partial marker waits for the next piece).
 */
export async function* chatDeltas(pieces: AsyncIterable<string>, format: ToolCallFormat | undefined): AsyncGenerator<ChatDelta> {
  if (!format) {
    for await (const piece of pieces) yield { content: piece, calls: [] };
    return;
  }
  const parser = new ToolCallParser(format);
  for await (const piece of pieces) {
    const delta = parser.push(piece);
    if (delta.content || delta.calls.length > 0) yield delta;
  }
  const rest = parser.flush();
  if (rest.content || rest.calls.length > 0) yield rest;
}

/** A whole reply from its deltas: all the text, and every call in order. */
export async function collectDeltas(deltas: AsyncIterable<ChatDelta>): Promise<ChatDelta> {
  const whole: ChatDelta = { content: '', calls: [] };
  for await (const delta of deltas) {
    whole.content += delta.content;
    whole.calls.push(...delta.calls);
  }
  return whole;
}
