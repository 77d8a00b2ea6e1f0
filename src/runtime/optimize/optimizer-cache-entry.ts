// What optimize-model (the cache) and optimize-into (the rewrite) share: the cache entry's layout,
// its record, the optimizer's version and tolerances.

/** Bumped whenever the fused graph changes, so that older cache entries are rebuilt. */
export const OPTIMIZER_VERSION = 5;
/**
 * Default tolerance with `accuracy_level=4`. Drift measured on random-weight q4 models: 0.02-0.03
 * (2 layers), 0.085-0.087 (SmolLM2-135M and Qwen2.5-0.5B shapes; 0.13 over 33 greedy steps).
 */
export const FAST_TOLERANCE = 0.2;
/** Tolerance with `--exact`: the rewrite may only reorder float operations. */
export const EXACT_TOLERANCE = 1e-4;
/** Block sizes owm re-quantizes 4-bit weights into (`--reblock`). */
export const REBLOCK_SIZES = [64, 128] as const;
export type ReblockSize = (typeof REBLOCK_SIZES)[number];
/**
 * Bound of the check with `--reblock`. Re-quantizing moves logits about as far as the 4-bit
 * quantization itself did: on random-weight models 0.58 (blocks of 64) and 0.72 (128) from the q4
 * file, which is 0.84 from its float32 weights (SmolLM2-135M shape). A random-weight model amplifies
 * any change to its weights, so this bound only catches broken weights; the quality given up is the
 * user's choice, and the record states how far each projection's weights moved.
 */
export const REBLOCK_TOLERANCE = 1;
/** The re-quantized weights' data file inside a cache entry (`--reblock`). */
export const REBLOCKED_DATA_FILE = 'reblocked.data';
/** The rewritten graph's name inside its cache entry. */
export const FUSED_FILE = 'model.onnx';
/** The cache entry's record of what the optimizer did. */
export const RESULT_FILE = 'result.json';

/** What a cache entry's result.json holds. */
export interface StoredResult {
  version: number;
  /** The original graph, so that removing a model can find the entries linking to its weights. */
  source: string;
  status: 'optimized' | 'skipped';
  changes?: string[];
  maxLogitDiff?: number;
  reason?: string;
}
