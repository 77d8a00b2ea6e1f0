import type { ModelShape } from './types.js';

/** A two-layer decoder small enough for unit tests (vocabulary: the tokenizer's). */
export const TINY: ModelShape = {
  layers: 2,
  hidden: 64,
  heads: 4,
  kvHeads: 2,
  intermediate: 128,
  maxPositions: 2048,
  ropeTheta: 10000,
  tieEmbeddings: false,
};

/** SmolLM2-135M's shapes (llama). */
export const SMOLLM2_135M: ModelShape = {
  layers: 30,
  hidden: 576,
  heads: 9,
  kvHeads: 3,
  intermediate: 1536,
  vocab: 49152,
  maxPositions: 8192,
  ropeTheta: 100000,
  tieEmbeddings: true,
};

/** Qwen2.5-0.5B's shapes (qwen2, with q/k/v biases). */
export const QWEN25_05B: ModelShape = {
  layers: 24,
  hidden: 896,
  heads: 14,
  kvHeads: 2,
  intermediate: 4864,
  vocab: 151936,
  maxPositions: 32768,
  ropeTheta: 1000000,
  tieEmbeddings: true,
};

/** Llama-3.2-1B's shapes (llama, Llama 3 tokenizer, tied embeddings). */
export const LLAMA32_1B: ModelShape = {
  layers: 16,
  hidden: 2048,
  heads: 32,
  kvHeads: 8,
  intermediate: 8192,
  vocab: 128256,
  maxPositions: 131072,
  ropeTheta: 500000,
  tieEmbeddings: true,
};

/**
 * Qwen2.5-1.5B's shapes (qwen2, with q/k/v biases): the architecture of the registry's
 * deepseek-r1-distill (DeepSeek-R1-Distill-Qwen-1.5B).
 */
export const QWEN25_15B: ModelShape = {
  layers: 28,
  hidden: 1536,
  heads: 12,
  kvHeads: 2,
  intermediate: 8960,
  vocab: 151936,
  maxPositions: 32768,
  ropeTheta: 1000000,
  tieEmbeddings: true,
};

/** Mistral-7B-Instruct-v0.2's shapes (llama architecture, untied lm_head), as the registry's mistral-7b. */
export const MISTRAL_7B: ModelShape = {
  layers: 32,
  hidden: 4096,
  heads: 32,
  kvHeads: 8,
  intermediate: 14336,
  vocab: 32000,
  maxPositions: 32768,
  ropeTheta: 1000000,
  tieEmbeddings: false,
};
