export { optimizeModel, type OptimizeParams, type OptimizeResult } from './optimize-model.js';
export { FAST_TOLERANCE, OPTIMIZER_VERSION, REBLOCK_SIZES, type ReblockSize } from './optimizer-cache-entry.js';
