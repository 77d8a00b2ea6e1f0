/** The shape of a model, as `owm show` reports it. */
export interface Architecture {
  modelType?: string;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  hiddenSize?: number;
  intermediateSize?: number;
  vocabSize?: number;
  contextLength?: number;
}

type Json = Record<string, unknown>;

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function obj(value: unknown): Json {
  return value !== null && typeof value === 'object' ? (value as Json) : {};
}

/**
 * Reads the architecture from a Hugging Face config.json and/or an onnxruntime-genai
 * genai_config.json (whichever the variant has; config.json wins where both say something).
 */
export function describeArchitecture(config?: unknown, genaiConfig?: unknown): Architecture {
  const hf = obj(config);
  const textConfig = obj(hf.text_config);
  const source = { ...textConfig, ...hf };
  const genaiModel = obj(obj(genaiConfig).model);
  const decoder = obj(genaiModel.decoder);
  const heads = num(source.num_attention_heads) ?? num(decoder.num_attention_heads);
  return {
    modelType: (typeof source.model_type === 'string' ? source.model_type : undefined) ??
      (typeof genaiModel.type === 'string' ? genaiModel.type : undefined),
    layers: num(source.num_hidden_layers) ?? num(decoder.num_hidden_layers),
    heads,
    kvHeads: num(source.num_key_value_heads) ?? num(decoder.num_key_value_heads) ?? heads,
    hiddenSize: num(source.hidden_size) ?? num(decoder.hidden_size),
    intermediateSize: num(source.intermediate_size),
    vocabSize: num(source.vocab_size) ?? num(genaiModel.vocab_size),
    contextLength: num(source.max_position_embeddings) ?? num(genaiModel.context_length),
  };
}

/** `llama: 30 layers, 9 heads (3 kv), hidden 576, intermediate 1536, vocab 49152`. */
export function formatArchitecture(arch: Architecture): string {
  const parts = [
    arch.layers !== undefined ? counted(arch.layers, 'layer') : undefined,
    arch.heads !== undefined ? `${counted(arch.heads, 'head')}${arch.kvHeads !== undefined && arch.kvHeads !== arch.heads ? ` (${arch.kvHeads} kv)` : ''}` : undefined,
    arch.hiddenSize !== undefined ? `hidden ${arch.hiddenSize}` : undefined,
    arch.intermediateSize !== undefined ? `intermediate ${arch.intermediateSize}` : undefined,
    arch.vocabSize !== undefined ? `vocab ${arch.vocabSize}` : undefined,
  ].filter((part): part is string => part !== undefined);
  const type = arch.modelType ?? 'unknown';
  return parts.length > 0 ? `${type}: ${parts.join(', ')}` : type;
}

/** `1 layer`, `30 layers`. */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
