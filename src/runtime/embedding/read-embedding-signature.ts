import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { RuntimeError } from '../../errors.js';

/** The empty KV cache a decoder embedding graph is fed: its names, element type and per-head shape. */
export interface EmptyPast {
  names: string[];
  type: 'float32' | 'float16';
  kvHeads: number;
  headDim: number;
}

/** What an embedding graph (an encoder, or a decoder without its LM head) takes and returns. */
export interface EmbeddingSignature {
  hasAttentionMask: boolean;
  hasTokenTypeIds: boolean;
  hasPositionIds: boolean;
  /** Decoder exports take a KV cache; it is fed empty. */
  past?: EmptyPast;
  /** The per-token output: `last_hidden_state`, or `token_embeddings` in some sentence-transformers exports. */
  output: string;
  outputType: 'float32' | 'float16';
}

const HIDDEN_OUTPUTS = ['last_hidden_state', 'token_embeddings'];
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids', 'position_ids']);
const PAST = /^past_key_values\.\d+\.(key|value)$/;

/** Reads an embedding session's inputs and outputs; a graph without token states is a chat model's. */
export function readEmbeddingSignature(session: InferenceSession, modelFile: string): EmbeddingSignature {
  const output = HIDDEN_OUTPUTS.find((name) => session.outputNames.includes(name));
  if (output === undefined) {
    const chat = session.outputNames.includes('logits');
    throw new RuntimeError(
      chat
        ? `${modelFile} has no hidden-state output (only logits): it is a chat model; use \`owm run\`, and an embedding model for \`owm embed\`.`
        : `${modelFile} has no last_hidden_state output (it has ${session.outputNames.join(', ')}): use a feature-extraction ONNX export.`,
      { code: chat ? 'wrong-model-kind' : 'unsupported-graph' },
    );
  }
  const unknown = session.inputNames.filter((name) => !KNOWN_INPUTS.has(name) && !PAST.test(name));
  if (unknown.length > 0 || !session.inputNames.includes('input_ids')) {
    const what = unknown.length > 0 ? `inputs owm does not understand: ${unknown.join(', ')}` : 'no input_ids input';
    throw new RuntimeError(`${modelFile} is not an embedding graph owm can run (${what}): use a sentence-transformers or transformers.js feature-extraction export.`, {
      code: 'unsupported-graph',
    });
  }
  const metadata = new Map(session.inputMetadata.map((meta) => [meta.name, meta]));
  const pastNames = session.inputNames.filter((name) => PAST.test(name));
  const outputMeta = session.outputMetadata.find((meta) => meta.name === output);
  return {
    hasAttentionMask: metadata.has('attention_mask'),
    hasTokenTypeIds: metadata.has('token_type_ids'),
    hasPositionIds: metadata.has('position_ids'),
    past: pastNames.length > 0 ? emptyPast(pastNames, metadata.get(pastNames[0] as string), modelFile) : undefined,
    output,
    outputType: outputMeta?.isTensor && outputMeta.type === 'float16' ? 'float16' : 'float32',
  };
}

function emptyPast(names: string[], meta: InferenceSession['inputMetadata'][number] | undefined, modelFile: string): EmptyPast {
  const shape: ReadonlyArray<number | string> = meta?.isTensor ? meta.shape : [];
  const [kvHeads, headDim] = [Number(shape[1]), Number(shape[3])];
  if (!Number.isInteger(kvHeads) || !Number.isInteger(headDim)) {
    throw new RuntimeError(`${modelFile} does not declare its KV cache shape: owm cannot feed it an empty cache.`, { code: 'unsupported-graph' });
  }
  const type: Tensor.Type | undefined = meta?.isTensor ? meta.type : undefined;
  return { names, type: type === 'float16' ? 'float16' : 'float32', kvHeads, headDim };
}
