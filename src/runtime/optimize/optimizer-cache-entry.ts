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
