import type { SyntheticModelConfig } from './types.js';

const ARCHITECTURES = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const;

/**
 * `config.json` as Hugging Face writes it for the architecture, plus `transformers.js_config`
 * naming the ONNX files whose weights live in `<file>_data` (`{ "model_q4.onnx": true }`).
 */
export function hfConfig(config: SyntheticModelConfig, externalDataFiles: Record<string, boolean> | null): Record<string, unknown> {
  const json: Record<string, unknown> = {
    architectures: [ARCHITECTURES[config.arch]],
    model_type: config.arch,
    attention_dropout: 0,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenIds[0],
    hidden_act: 'silu',
    hidden_size: config.hidden,
    initializer_range: 0.02,
    intermediate_size: config.intermediate,
    max_position_embeddings: config.maxPositions,
    num_attention_heads: config.heads,
    num_hidden_layers: config.layers,
    num_key_value_heads: config.kvHeads,
    rms_norm_eps: config.rmsNormEps,
    rope_scaling: null,
    rope_theta: config.ropeTheta,
    tie_word_embeddings: config.tieEmbeddings,
    torch_dtype: 'float32',
    transformers_version: '4.45.0',
    use_cache: true,
    vocab_size: config.vocab,
  };
  if (config.arch === 'llama') {
    Object.assign(json, { attention_bias: false, mlp_bias: false, head_dim: config.headDim, pretraining_tp: 1 });
  } else {
    Object.assign(json, { max_window_layers: config.layers, sliding_window: config.maxPositions, use_sliding_window: false });
  }
  const jsConfig: Record<string, unknown> = { kv_cache_dtype: { q4f16: 'float16', fp16: 'float16' } };
  if (externalDataFiles && Object.keys(externalDataFiles).length > 0) jsConfig.use_external_data_format = externalDataFiles;
  json['transformers.js_config'] = jsConfig;
  return json;
}

/** `generation_config.json` with the special ids only, so that transformers.js decodes greedily by default. */
export function generationConfig(config: SyntheticModelConfig): Record<string, unknown> {
  return {
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds,
    pad_token_id: config.padTokenId,
    transformers_version: '4.45.0',
  };
}

/** `genai_config.json` as onnxruntime-genai's model builder writes it for a CPU decoder. */
export function genaiConfig(config: SyntheticModelConfig, modelFile: string): Record<string, unknown> {
  return {
    model: {
      bos_token_id: config.bosTokenId,
      context_length: config.maxPositions,
      decoder: {
        session_options: { log_id: 'onnxruntime-genai', provider_options: [] },
        filename: modelFile,
        head_size: config.headDim,
        hidden_size: config.hidden,
        inputs: {
          input_ids: 'input_ids',
          attention_mask: 'attention_mask',
          past_key_names: 'past_key_values.%d.key',
          past_value_names: 'past_key_values.%d.value',
        },
        outputs: {
          logits: 'logits',
          present_key_names: 'present.%d.key',
          present_value_names: 'present.%d.value',
        },
        num_attention_heads: config.heads,
        num_hidden_layers: config.layers,
        num_key_value_heads: config.kvHeads,
      },
      eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds,
      pad_token_id: config.padTokenId ?? config.eosTokenIds[0],
      type: config.arch,
      vocab_size: config.vocab,
    },
    search: {
      diversity_penalty: 0,
      do_sample: false,
      early_stopping: true,
      length_penalty: 1,
      max_length: config.maxPositions,
      min_length: 0,
      no_repeat_ngram_size: 0,
      num_beams: 1,
      num_return_sequences: 1,
      past_present_share_buffer: true,
      repetition_penalty: 1,
      temperature: 1,
      top_k: 1,
      top_p: 1,
    },
  };
}
