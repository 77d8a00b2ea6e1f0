/** What the token loop needs of a decoder: one sequence's KV cache, fed step by step. */
export interface SequenceDecoder {
  /** Empties the cache for a new sequence of about `capacity` tokens (prompt and reply). */
  reset(capacity?: number): void;
  /**
   * Starts a sequence beginning with `promptIds`, keeping the cached rows of the longest prefix it
   * shares with the previous one, but leaving at least one id to feed. Returns how many leading ids
   * are kept: feed `promptIds.slice(kept)` next.
   */
  startSequence(promptIds: readonly number[], capacity: number): number;
  /** Feeds `ids` after what the cache holds; returns the logits of the last fed position. */
  forward(ids: readonly number[]): Promise<Float32Array>;
  /** The same decoder's draft checking, where its graph returns the logits of every fed position. */
  readonly verifier?: DraftVerifier;
}

/** What checking drafted tokens needs: every fed position's logits in one pass, and dropping the rows of the rejected ones. */
export interface DraftVerifier {
  /** Tokens in the cache. */
  readonly length: number;
  /** Feeds `ids` after what the cache holds; returns the logits of each of their positions, in order. */
  forwardEach(ids: readonly number[]): Promise<Float32Array[]>;
  /** Drops the cached rows after the first `length`. */
  rewind(length: number): void;
}
