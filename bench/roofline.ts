import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import type { SyntheticModelConfig } from '../test/support/synthetic-model/index.js';

const { onnx } = onnxProto;

/** What one decode step must read from memory, from the graph's own initializers. */
export interface WeightTraffic {
  /** Initializer bytes every step reads whole (MatMulNBits: packed 4-bit weights, scales, zero points). */
  bytesPerToken: number;
  /** Initializer bytes only indexed by row (the embedding under Gather, rotary caches): a row a step. */
  indexedBytes: number;
  initializers: number;
}

// Bytes per element by TensorProto.DataType; 4-bit types count half a byte.
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2, 21: 0.5, 22: 0.5 };

// (op type, input index) pairs that read only the rows the current positions or tokens select.
const INDEXED_INPUTS = new Set(['Gather:0', 'GroupQueryAttention:7', 'GroupQueryAttention:8', 'RotaryEmbedding:2', 'RotaryEmbedding:3']);

/**
 * Sums the initializer bytes of `modelPath` (sizes from dims and types, so external data files
 * need not be read) that one decode step reads: every initializer, except those only indexed by
 * row, like an untied embedding table under Gather.
 */
export function weightTraffic(modelPath: string): WeightTraffic {
  const graphs = graphParts(readFileSync(modelPath));
  if (graphs.length === 0) throw new Error(`${modelPath} has no graph`);
  const nodes = graphs.flatMap((graph) => graph.node ?? []);
  const initializers = graphs.flatMap((graph) => graph.initializer ?? []);
  const uses = new Map<string, string[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((name, index) => {
      if (!uses.has(name)) uses.set(name, []);
      uses.get(name)?.push(`${node.opType}:${index}`);
    });
  }
  let bytesPerToken = 0;
  let indexedBytes = 0;
  for (const tensor of initializers) {
    const elements = (tensor.dims ?? []).reduce<number>((product, dim) => product * Number(dim), 1);
    const bytes = elements * (ELEMENT_BYTES[tensor.dataType ?? 0] ?? 0);
    const tensorUses = uses.get(tensor.name ?? '') ?? [];
    if (tensorUses.length > 0 && tensorUses.every((use) => INDEXED_INPUTS.has(use))) indexedBytes += bytes;
    else bytesPerToken += bytes;
  }
  return { bytesPerToken, indexedBytes, initializers: initializers.length };
}

const MODEL_GRAPH_FIELD = 7;

/**
 * The `graph` field of a ModelProto, every occurrence: writers that stream large models (the
 * synthetic generator does) repeat the field, which protobuf merges but protobufjs overwrites.
 */
function graphParts(bytes: Uint8Array): Onnx.IGraphProto[] {
  const parts: Onnx.IGraphProto[] = [];
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (offset < bytes.length) {
    const key = varint();
    const wireType = key & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else if (wireType === 2) {
      const length = varint();
      if (Math.floor(key / 8) === MODEL_GRAPH_FIELD) parts.push(onnx.GraphProto.decode(bytes.subarray(offset, offset + length)));
      offset += length;
    } else throw new Error(`unexpected protobuf wire type ${wireType}`);
  }
  return parts;
}

/** Bytes of KV cache one decode step reads per token of context (keys and values, every layer). */
export function kvBytesPerContextToken(config: SyntheticModelConfig, kvElementBytes = 4): number {
  return 2 * config.layers * config.kvHeads * config.headDim * kvElementBytes;
}

/** The most tokens per second a step that reads `bytesPerStep` can reach at `bytesPerSecond`. */
export function rooflineTokensPerSecond(bytesPerStep: number, bytesPerSecond: number): number {
  return bytesPerSecond / bytesPerStep;
}
