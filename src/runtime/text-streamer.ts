import type { ModelTokenizer } from './load-tokenizer.js';

/** The parts of a tokenizer the streamer uses. */
export type StreamingTokenizer = Pick<ModelTokenizer, 'decode' | 'specialTokenIds' | 'cleanUpTokenizationSpaces'>;

/**
 * Turns generated token ids into text as they come, one piece per call, whose concatenation is
 * the decode of all of them with special tokens skipped.
 *
 * Decoding a token alone is wrong twice over: a character may span several tokens (byte-level
 * BPE pieces, `<0xE6>` byte-fallback tokens), and sentencepiece decoders drop the space that
 * opens the first token they see. So each step decodes a short window that starts one emitted
 * chunk back, emits what the newest tokens add to it, and holds back while the window's text
 * ends in U+FFFD (an unfinished character).
 */
export class TextStreamer {
  private readonly tokenizer: StreamingTokenizer;
  /** Non-special ids from the start of the window on. */
  private window: number[] = [];
  /** How many ids of the window are already emitted. */
  private emitted = 0;
  private readonly cleanup: SpaceCleanup | undefined;

  constructor(tokenizer: StreamingTokenizer) {
    this.tokenizer = tokenizer;
    this.cleanup = tokenizer.cleanUpTokenizationSpaces ? new SpaceCleanup() : undefined;
  }

  /** Adds one generated id; returns the text it completes (often empty, never a broken character). */
  push(tokenId: number): string {
    if (this.tokenizer.specialTokenIds.has(tokenId)) return '';
    this.window.push(tokenId);
    const before = this.decode(this.window.slice(0, this.emitted));
    const after = this.decode(this.window);
    if (after.length <= before.length || after.endsWith('\uFFFD')) return '';
    // The next window starts at the first id emitted now, so its decode has left context.
    this.window = this.window.slice(this.emitted);
    this.emitted = this.window.length;
    return this.clean(after.slice(before.length));
  }

  /** Returns whatever is still held back; call once when generation ends. */
  flush(): string {
    const before = this.decode(this.window.slice(0, this.emitted));
    const rest = this.decode(this.window).slice(before.length);
    this.window = [];
    this.emitted = 0;
    const cleaned = this.clean(rest);
    return this.cleanup === undefined ? cleaned : cleaned + this.cleanup.flush();
  }

  private decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false });
  }

  private clean(text: string): string {
    return this.cleanup === undefined ? text : this.cleanup.push(text);
  }
}

/**
 * transformers' `clean_up_tokenization` (` .` → `.`, ` n't` → `n't`, ...) applied to a stream.
 * Every pattern starts with a space and is at most 4 characters long, so text may be cleaned and
 * released up to any point preceded by 3 non-space characters: no match can straddle it.
 */
class SpaceCleanup {
  private pending = '';

  push(text: string): string {
    this.pending += text;
    let cut = this.pending.length;
    // Characters before `pending` count as non-space: the previous cut was such a point.
    while (cut > 0 && this.pending.slice(Math.max(0, cut - 3), cut).includes(' ')) cut--;
    const released = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    return cleanUpTokenization(released);
  }

  flush(): string {
    const rest = cleanUpTokenization(this.pending);
    this.pending = '';
    return rest;
  }
}

function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
