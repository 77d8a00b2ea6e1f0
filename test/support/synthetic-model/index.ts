export { createModelWeights } from './create-model-weights.js';
export { LLAMA32_1B, QWEN25_05B, SMOLLM2_135M, TINY } from './model-shapes.js';
export type {
  ModelShape,
  SyntheticArch,
  SyntheticDtype,
  SyntheticModel,
  SyntheticModelConfig,
  SyntheticModelOptions,
  SyntheticStyle,
  SyntheticTokenizer,
} from './types.js';
export { writeSyntheticModel } from './write-synthetic-model.js';
