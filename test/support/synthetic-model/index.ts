export { createModelWeights } from './create-model-weights.js';
export { ModelWeights } from './model-weights.js';
export { LLAMA32_1B, MISTRAL_7B, QWEN25_05B, QWEN25_15B, SMOLLM2_135M, TINY } from './model-shapes.js';
export type {
  ModelShape,
  SyntheticArch,
  SyntheticDtype,
  SyntheticModel,
  SyntheticModelConfig,
  SyntheticModelOptions,
  SyntheticStyle,
  SyntheticTokenizer,
  WeightLookup,
} from './types.js';
export { writeSyntheticModel } from './write-synthetic-model.js';
