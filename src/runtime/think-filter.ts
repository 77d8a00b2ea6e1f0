import { partialMatchLength } from './partial-match-length.js';

const OPEN_TAG = '<think>';
const CLOSE_TAG = '</think>';

/** Options of `ThinkFilter`. */
export interface ThinkFilterOptions {
  /**
   * The stream begins inside a think block, because the prompt already opened it (DeepSeek-R1
   * distills' templates end with `<think>\n`); only `</think>` will appear.
   * @default false
   */
  startsInside?: boolean;
}

/**
 * Removes `<think>…</think>` regions from streamed text (`--think hide`), with tags split across
 * pieces; the whitespace a model writes after `</think>` goes with the block.
 */
export class ThinkFilter {
  private inside: boolean;
  /** Right after `</think>`: leading whitespace is still being dropped. */
  private afterClose = false;
  private held = '';

  constructor(options: ThinkFilterOptions = {}) {
    this.inside = options.startsInside ?? false;
  }

  /** Takes the next piece of text; returns the part of it (and of held text) outside think blocks. */
  push(text: string): string {
    let buffer = this.held + text;
    this.held = '';
    let visible = '';
    while (buffer.length > 0) {
      if (this.inside) {
        const end = buffer.indexOf(CLOSE_TAG);
        if (end === -1) {
          this.held = buffer.slice(buffer.length - partialMatchLength(buffer, [CLOSE_TAG]));
          break;
        }
        buffer = buffer.slice(end + CLOSE_TAG.length);
        this.inside = false;
        this.afterClose = true;
        continue;
      }
      if (this.afterClose) {
        buffer = buffer.trimStart();
        if (buffer.length === 0) break;
        this.afterClose = false;
      }
      const start = buffer.indexOf(OPEN_TAG);
      if (start === -1) {
        const keep = partialMatchLength(buffer, [OPEN_TAG]);
        visible += buffer.slice(0, buffer.length - keep);
        this.held = buffer.slice(buffer.length - keep);
        break;
      }
      visible += buffer.slice(0, start);
      buffer = buffer.slice(start + OPEN_TAG.length);
      this.inside = true;
    }
    return visible;
  }

  /** Returns held-back text that turned out not to be a tag; an unclosed think block stays hidden. */
  flush(): string {
    const rest = this.inside ? '' : this.held;
    this.held = '';
    return rest;
  }
}
