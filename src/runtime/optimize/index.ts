export { FAST_TOLERANCE, OPTIMIZER_VERSION, optimizeModel, type OptimizeParams, type OptimizeResult } from './optimize-model.js';
