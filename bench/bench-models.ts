import { LLAMA32_1B, QWEN25_05B, SMOLLM2_135M, type SyntheticModelOptions } from '../test/support/synthetic-model/index.js';

/** One benchmarked model: a synthetic export with a real architecture's shapes and random weights. */
export interface BenchModel extends Required<Omit<SyntheticModelOptions, 'tieEmbeddings' | 'headless'>> {
  /** Short id, also the folder name and the `--only` value (`smollm2-135m-q4`). */
  id: string;
  /** What the table calls it. */
  label: string;
  /** transformers.js' `dtype` for this folder, or null where it cannot load it (genai layout). */
  transformersDtype: 'fp32' | 'q4' | null;
  /** GGUF storage that matches the ONNX weights' precision, for the llama.cpp peer. */
  ggufType: 'F32' | 'Q4_0';
}

const SMOLLM2 = { arch: 'llama', shape: SMOLLM2_135M, tokenizer: 'llama', seed: 1 } as const;
const QWEN25 = { arch: 'qwen2', shape: QWEN25_05B, tokenizer: 'qwen', seed: 2 } as const;

/** Every model of the full set, in table order. */
export const BENCH_MODELS: readonly BenchModel[] = [
  { ...SMOLLM2, id: 'smollm2-135m-fp32', label: 'SmolLM2-135M fp32 (optimum)', style: 'optimum', dtype: 'fp32', externalData: false, transformersDtype: 'fp32', ggufType: 'F32' },
  { ...SMOLLM2, id: 'smollm2-135m-q4', label: 'SmolLM2-135M q4 (optimum)', style: 'optimum', dtype: 'q4', externalData: false, transformersDtype: 'q4', ggufType: 'Q4_0' },
  { ...QWEN25, id: 'qwen2.5-0.5b-q4', label: 'Qwen2.5-0.5B q4 (optimum)', style: 'optimum', dtype: 'q4', externalData: true, transformersDtype: 'q4', ggufType: 'Q4_0' },
  { ...QWEN25, id: 'qwen2.5-0.5b-int4-genai', label: 'Qwen2.5-0.5B int4 (genai)', style: 'genai', dtype: 'q4', externalData: true, transformersDtype: null, ggufType: 'Q4_0' },
];

/** Ids of the quick set (`--quick`). */
export const QUICK_MODEL_IDS: readonly string[] = ['smollm2-135m-q4'];

/** The batched-decoding line's model: Llama-3.2-1B's shapes, q4 as transformers.js publishes it (over 2 GB in fp32: external data). */
export const BATCHING_MODEL: BenchModel = {
  arch: 'llama',
  shape: LLAMA32_1B,
  tokenizer: 'llama',
  seed: 3,
  id: 'llama3.2-1b-q4',
  label: 'Llama-3.2-1B q4 (optimum)',
  style: 'optimum',
  dtype: 'q4',
  externalData: true,
  transformersDtype: 'q4',
  ggufType: 'Q4_0',
};
