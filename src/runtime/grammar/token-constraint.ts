import type { GrammarMatcher } from '@mlc-ai/web-xgrammar';
import type { LogitsProcessor } from '../sampling/index.js';

/**
 * A grammar's hold on one token loop: before each draw it masks every token that would break the
 * output, and it follows each token drawn. Lives in the model worker, next to the logits, so the
 * per-token cost is xgrammar's mask and one pass over the row, with no message between threads.
 */
export class TokenConstraint implements LogitsProcessor {
  private bitmask: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private saved = new Float32Array(0);

  constructor(
    private readonly matcher: GrammarMatcher,
    private readonly stopTokenIds: readonly number[],
  ) {}

  /**
   * Computes the mask for the next token. Returns false when the output is complete: nothing but
   * a stop token may follow, so the loop can end without another forward pass.
   */
  async prepare(): Promise<boolean> {
    this.bitmask = await this.matcher.getNextTokenBitmask();
    return this.allowsMoreThanStop();
  }

  accept(id: number): void {
    if (!this.matcher.acceptToken(id)) throw new Error(`the grammar rejected token ${id}, which its own mask allowed`);
  }

  process(logits: Float32Array): () => void {
    if (this.saved.length !== logits.length) this.saved = new Float32Array(logits.length);
    this.saved.set(logits);
    const words = this.bitmask;
    for (let word = 0; word < words.length; word++) {
      const bits = words[word] as number;
      if (bits === -1) continue;
      const base = word << 5;
      const end = Math.min(base + 32, logits.length);
      if (bits === 0) {
        logits.fill(Number.NEGATIVE_INFINITY, base, end);
        continue;
      }
      for (let id = base; id < end; id++) if (((bits >>> (id - base)) & 1) === 0) logits[id] = Number.NEGATIVE_INFINITY;
    }
    // Ids past the mask (a graph whose vocabulary outgrows the tokenizer's) are never valid text.
    if (logits.length > words.length << 5) logits.fill(Number.NEGATIVE_INFINITY, words.length << 5);
    return () => logits.set(this.saved);
  }

  dispose(): void {
    this.matcher.dispose();
  }

  private allowsMoreThanStop(): boolean {
    const words = this.bitmask;
    for (let word = 0; word < words.length; word++) {
      let bits = words[word] as number;
      if (bits === 0) continue;
      for (const id of this.stopTokenIds) if (id >> 5 === word) bits &= ~(1 << (id & 31));
      if (bits !== 0) return true;
    }
    return false;
  }
}
