import type { ModelWeights } from './model-weights.js';

/** Decoder architectures the generator can build; `qwen2` adds biases to the q/k/v projections. */
export type SyntheticArch = 'llama' | 'qwen2';

/** Which exporter's graph and folder layout to imitate. */
export type SyntheticStyle = 'optimum' | 'genai';

/**
 * Weight and cache precision. `fp16` keeps fp32 weights but exchanges the KV cache as float16;
 * `q4` replaces every projection with 4-bit `MatMulNBits` (block 32).
 */
export type SyntheticDtype = 'fp32' | 'fp16' | 'q4';

/** Tokenizer to ship: Qwen3's (151,669 ids) or Llama 3's (128,256 ids). */
export type SyntheticTokenizer = 'qwen' | 'llama';

/** Sizes of a decoder; `headDim` is always `hidden / heads`. */
export interface ModelShape {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  /** Embedding rows; the tokenizer is cut down to fit when it has more ids. @default the tokenizer's size */
  vocab?: number;
  /** @default 2048 */
  maxPositions?: number;
  /** @default 10000 */
  ropeTheta?: number;
  /** Whether `lm_head` reuses the embedding matrix. @default false */
  tieEmbeddings?: boolean;
}

/** What to write; one call writes one dtype of one style. */
export interface SyntheticModelOptions {
  arch: SyntheticArch;
  style: SyntheticStyle;
  dtype: SyntheticDtype;
  shape: ModelShape;
  tokenizer: SyntheticTokenizer;
  /** Same seed and shape give the same weights in every style and dtype. */
  seed: number;
  /**
   * Keep the optimum-style weights in `onnx/<model>.onnx_data` (genai always uses `model.onnx.data`);
   * required above 2 GB, where protobuf stops. @default false
   */
  externalData?: boolean;
  /** Overrides `shape.tieEmbeddings`. */
  tieEmbeddings?: boolean;
  /** Optimum style only: no `lm_head`, `last_hidden_state` out (a decoder embedding model). @default false */
  headless?: boolean;
  /** Attention's weight in the residual stream against the MLP's (see `createModelWeights`). @default 0.4 */
  attentionShare?: number;
}

/** Everything a reference forward pass needs besides the weights. */
export interface SyntheticModelConfig {
  arch: SyntheticArch;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  ropeTheta: number;
  rmsNormEps: number;
  tieEmbeddings: boolean;
  /** Whether q/k/v projections carry biases (`qwen2`). */
  qkvBias: boolean;
  bosTokenId: number | null;
  /** Every id that ends generation, the chat turn end first. */
  eosTokenIds: number[];
  padTokenId: number | null;
}

/** A folder written by `writeSyntheticModel`, with the weights its graph computes with. */
export interface SyntheticModel {
  /** The folder, as given. */
  dir: string;
  /** The ONNX file relative to `dir` (`onnx/model_q4.onnx`, `model.onnx`). */
  modelFile: string;
  /** Files written, relative to `dir`. */
  files: string[];
  config: SyntheticModelConfig;
  /**
   * Hugging Face parameter names (`model.layers.0.self_attn.q_proj.weight`) in Hugging Face
   * layout (`[out, in]`, `y = x·Wᵀ + b`), holding the values the graph really uses: dequantized
   * for q4. `lm_head.weight` is absent when the graph multiplies by the embedding itself (tied
   * fp32 / fp16); tied q4 graphs carry a quantized copy, present here. Each is drawn when asked for.
   */
  weights: ModelWeights;
}

/** Where a weight's values come from by name: a `Map`, or `ModelWeights` drawing them on demand. */
export type WeightLookup = Pick<ReadonlyMap<string, Float32Array>, 'get' | 'has'>;
