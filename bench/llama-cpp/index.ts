export { greedyLlamaCpp, type LlamaCppGreedyOptions, type LlamaCppGreedyResult } from './greedy-llama-cpp.js';
export { loadLlamaCpp, type LlamaCppSettings, type LoadedLlamaCpp } from './load-llama-cpp.js';
export { runLlamaCppBench, type LlamaCppBenchOptions, type LlamaCppBenchResult } from './run-llama-cpp.js';
export type { GgufWeightType, HfTokenizerJson } from './types.js';
export { writeGguf, type WriteGgufOptions, type WrittenGguf } from './write-gguf.js';
