import { partialMatchLength } from '../partial-match-length.js';
import type { ToolCallFormat } from './tool-call-format.js';
import type { ToolCall } from './tool-types.js';

/** What a piece of output turned into: text to show now, and calls completed by it. */
export interface ParsedPiece {
  content: string;
  calls: ToolCall[];
}

/**
 * Splits a streamed reply into text and tool calls. Text that may be the start of a call marker is
 * held back until the next piece tells; a call is reported once its body is complete (its close
 * marker, or the end of the output). A body that does not parse is given back as text.
 */
export class ToolCallParser {
  private pending = '';
  private inCall = false;
  /** The marker that opened the call in progress, unless it is part of the body. */
  private opened = '';
  private readonly markers: string[];

  constructor(private readonly format: ToolCallFormat) {
    this.markers = format.opens.map((open) => open.text);
  }

  push(piece: string): ParsedPiece {
    this.pending += piece;
    const parsed: ParsedPiece = { content: '', calls: [] };
    for (;;) {
      if (!this.inCall) {
        const open = this.firstOpen();
        if (!open) {
          const hold = partialMatchLength(this.pending, this.markers);
          parsed.content += this.pending.slice(0, this.pending.length - hold);
          this.pending = this.pending.slice(this.pending.length - hold);
          return parsed;
        }
        parsed.content += this.pending.slice(0, open.at);
        this.pending = this.pending.slice(open.partOfBody ? open.at : open.at + open.text.length);
        this.opened = open.partOfBody ? '' : open.text;
        this.inCall = true;
        continue;
      }
      const { close } = this.format;
      const end = close === undefined ? -1 : this.pending.indexOf(close);
      if (close === undefined || end < 0) return parsed;
      this.takeBody(this.pending.slice(0, end), parsed, close);
      this.pending = this.pending.slice(end + close.length);
      this.inCall = false;
    }
  }

  /** The end of the output: a call still open is complete now (or was never one). */
  flush(): ParsedPiece {
    const parsed: ParsedPiece = { content: '', calls: [] };
    if (this.inCall) this.takeBody(this.pending, parsed, '');
    else parsed.content = this.pending;
    this.pending = '';
    this.inCall = false;
    return parsed;
  }

  private firstOpen(): { at: number; text: string; partOfBody: boolean } | undefined {
    let first: { at: number; text: string; partOfBody: boolean } | undefined;
    for (const open of this.format.opens) {
      const at = this.pending.indexOf(open.text);
      if (at >= 0 && (!first || at < first.at)) first = { at, ...open };
    }
    return first;
  }

  private takeBody(body: string, parsed: ParsedPiece, close: string): void {
    if (body.trim() === '') return;
    try {
      for (const call of this.format.parseBody(body)) {
        const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
        parsed.calls.push({ id: this.format.newCallId(), name: call.name, arguments: args });
      }
    } catch {
      parsed.content += `${this.opened}${body}${close}`;
    }
  }
}
