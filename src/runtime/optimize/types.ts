import type { onnx as Onnx } from 'onnx-proto';

/** How the rotary frequencies are stretched for long contexts, as `config.json` `rope_scaling` says. */
export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/** What the fused graph needs from `config.json`. */
export interface DecoderConfig {
  /** `model_type`: one the optimizer knows to be a plain pre-norm RMSNorm / RoPE / SwiGLU decoder. */
  modelType: 'llama' | 'qwen2' | 'mistral';
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  /** Rows of the rotary cos/sin caches: the longest sequence the fused graph can run. */
  maxPositions: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
}

/**
 * Nodes copied from the original graph as they are (a projection with its bias, the embedding
 * lookup, `lm_head`): one activation goes in, one comes out, everything else is an initializer.
 */
export interface Subgraph {
  nodes: Onnx.INodeProto[];
  /** The activation tensor the nodes read. */
  input: string;
  /** The tensor they produce for the rest of the graph. */
  output: string;
}

/** One decoder layer's parts, found in the original graph. */
export interface DecoderLayerParts {
  /** Initializer names of the RMSNorm weights (`[hidden]`, float32). */
  inputNorm: string;
  postAttentionNorm: string;
  q: Subgraph;
  k: Subgraph;
  v: Subgraph;
  o: Subgraph;
  gate: Subgraph;
  up: Subgraph;
  down: Subgraph;
}

/** Everything the fused graph reuses from an optimum / transformers.js decoder export. */
export interface DecoderParts {
  /** `Gather` of the embedding matrix by `input_ids`. */
  embedding: Subgraph;
  /** Rows of the embedding matrix. */
  vocab: number;
  layers: DecoderLayerParts[];
  finalNorm: string;
  /** From the final norm's output to `logits`. */
  lmHead: Subgraph;
  /** Initializers by name, large ones as external-data references with absolute locations. */
  initializers: Map<string, Onnx.ITensorProto>;
  /** Original graph inputs and outputs by name, to declare the same types. */
  inputs: Map<string, Onnx.IValueInfoProto>;
  outputs: Map<string, Onnx.IValueInfoProto>;
  irVersion: number;
  opsets: Onnx.IOperatorSetIdProto[];
}
