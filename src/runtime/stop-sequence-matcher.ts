import { partialMatchLength } from './partial-match-length.js';

/** What one piece of streamed text yields once stop sequences are looked for. */
export interface StopMatch {
  /** Text safe to show now: never a stop sequence, nor a part of one that may still complete. */
  emit: string;
  /** A stop sequence was found: generation should end; `emit` holds the text before it. */
  stopped: boolean;
}

/**
 * Finds stop sequences in streamed text, across piece boundaries: it holds back any tail that
 * could begin a stop sequence until the next piece settles it.
 */
export class StopSequenceMatcher {
  private readonly stops: readonly string[];
  private held = '';
  private stopped = false;

  /** Empty strings in `stops` are ignored. */
  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  /** Takes the next piece of text; after a stop, every call returns nothing and `stopped`. */
  push(text: string): StopMatch {
    if (this.stopped) return { emit: '', stopped: true };
    const buffer = this.held + text;
    let first = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    if (first !== -1) {
      this.stopped = true;
      this.held = '';
      return { emit: buffer.slice(0, first), stopped: true };
    }
    const keep = partialMatchLength(buffer, this.stops);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** Returns the held-back tail when generation ends without a stop (it was no stop sequence). */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}
