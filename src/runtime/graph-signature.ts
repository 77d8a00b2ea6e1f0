import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';

/** The names of one layer's cache tensors, in and out. */
export interface KvLayerNames {
  pastKey: string;
  pastValue: string;
  /** The cache output: the whole cache (`present.{i}.key`), or only the rows just fed (`present_rows.{i}.key`). */
  presentKey: string;
  presentValue: string;
}

/**
 * Outputs holding only the KV rows of the tokens just fed, which owm's fused graphs return instead
 * of the whole cache: onnxruntime-node copies every output into a new buffer, so returning the whole
 * cache costs an allocation of its full size per token.
 */
export const PRESENT_ROWS_PREFIX = 'present_rows';

/**
 * What a decoder graph expects and returns, read from the session itself so that one loop runs
 * optimum/transformers.js exports and onnxruntime-genai exports alike.
 */
export interface GraphSignature {
  /** True when the graph takes `position_ids` (genai graphs with fused rotary do not). */
  hasPositionIds: boolean;
  /** True when the graph takes `num_logits_to_keep`: the logits of that many last positions (1 while decoding). */
  hasNumLogitsToKeep: boolean;
  /** True when a pass can return the logits of every position it feeds (through `num_logits_to_keep`, or always). */
  logitsForEachPosition: boolean;
  /** True for older merged decoders with a `use_cache_branch` switch. */
  hasUseCacheBranch: boolean;
  /** True when the graph takes `attention_mask`. */
  hasAttentionMask: boolean;
  /** Cache tensors per layer, in layer order. */
  layers: KvLayerNames[];
  /** What the cache outputs hold: the whole cache, or only the new rows (see PRESENT_ROWS_PREFIX). */
  kvOutputs: 'full' | 'new-rows';
  /** Element type of the cache: float32, or float16 for fp16 exports. */
  kvType: 'float32' | 'float16';
  kvHeads: number;
  headDim: number;
  /** Element type of the logits output. */
  logitsType: 'float32' | 'float16';
  /** Vocabulary size, when the logits output declares it. */
  vocabSize?: number;
}

const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'use_cache_branch']);
const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

type Metadata = InferenceSession['inputMetadata'][number];

function tensorMeta(meta: Metadata | undefined): { type: Tensor.Type; shape: ReadonlyArray<number | string> } | undefined {
  return meta && meta.isTensor ? { type: meta.type, shape: meta.shape } : undefined;
}

/** Reads a decoder session's inputs and outputs; unknown inputs are an error that names them. */
export function readGraphSignature(session: InferenceSession, modelFile: string): GraphSignature {
  if (!session.outputNames.includes('logits') && session.outputNames.includes('last_hidden_state')) {
    throw new RuntimeError(`${modelFile} is an embedding model (token states, no logits): use \`owm embed\` (or /v1/embeddings), not \`owm run\`.`, {
      code: 'wrong-model-kind',
    });
  }
  const inputs = new Set(session.inputNames);
  const unknown = session.inputNames.filter((name) => !KNOWN_INPUTS.has(name) && !PAST.test(name));
  if (unknown.length > 0 || !inputs.has('input_ids')) {
    const what = unknown.length > 0 ? `inputs owm does not understand: ${unknown.join(', ')}` : 'no input_ids input';
    throw new RuntimeError(
      `${modelFile} is not a decoder-only LLM graph owm can run (${what}): use a text-generation ONNX export (optimum/transformers.js or onnxruntime-genai).`,
      { code: 'unsupported-graph' },
    );
  }
  if (!session.outputNames.includes('logits')) {
    throw new RuntimeError(`${modelFile} has no 'logits' output: owm runs causal language models only.`, {
      code: 'unsupported-graph',
    });
  }
  const layerCount = session.inputNames.filter((name) => PAST.test(name)).length / 2;
  const kvOutputs = session.outputNames.includes(`${PRESENT_ROWS_PREFIX}.0.key`) ? 'new-rows' : 'full';
  const outputPrefix = kvOutputs === 'new-rows' ? PRESENT_ROWS_PREFIX : 'present';
  const layers: KvLayerNames[] = [];
  for (let i = 0; i < layerCount; i++) {
    const names = {
      pastKey: `past_key_values.${i}.key`,
      pastValue: `past_key_values.${i}.value`,
      presentKey: `${outputPrefix}.${i}.key`,
      presentValue: `${outputPrefix}.${i}.value`,
    };
    const outputs = session.outputNames;
    if (!inputs.has(names.pastKey) || !inputs.has(names.pastValue) || !outputs.includes(names.presentKey) || !outputs.includes(names.presentValue)) {
      throw new RuntimeError(`${modelFile} has an incomplete KV cache at layer ${i}: the export is broken; pull it again.`, {
        code: 'unsupported-graph',
      });
    }
    layers.push(names);
  }
  const metaByName = new Map(session.inputMetadata.map((meta) => [meta.name, meta]));
  const past = tensorMeta(metaByName.get(layers[0]?.pastKey ?? ''));
  const logits = tensorMeta(session.outputMetadata.find((meta) => meta.name === 'logits'));
  // A graph without a cache (rare, but valid) has no cache shape: 0 keeps the tensors empty.
  const kvHeads = layers.length > 0 ? Number(past?.shape[1]) : 0;
  const headDim = layers.length > 0 ? Number(past?.shape[3]) : 0;
  if (layers.length > 0 && (!Number.isInteger(kvHeads) || !Number.isInteger(headDim))) {
    throw new RuntimeError(`${modelFile} does not declare its KV cache shape: owm cannot size the cache.`, {
      code: 'unsupported-graph',
    });
  }
  return {
    hasPositionIds: inputs.has('position_ids'),
    hasNumLogitsToKeep: inputs.has('num_logits_to_keep'),
    logitsForEachPosition: inputs.has('num_logits_to_keep') || logits?.shape[1] !== 1,
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    hasAttentionMask: inputs.has('attention_mask'),
    layers,
    kvOutputs,
    kvType: past?.type === 'float16' ? 'float16' : 'float32',
    kvHeads,
    headDim,
    logitsType: logits?.type === 'float16' ? 'float16' : 'float32',
    vocabSize: typeof logits?.shape.at(-1) === 'number' ? (logits.shape.at(-1) as number) : undefined,
  };
}
