import { addLinear } from './add-linear.js';
import { addLmHead } from './add-lm-head.js';
import { DataType, type GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';
import { requireWeight } from './require-weight.js';
import type { SyntheticDtype, SyntheticModelConfig } from './types.js';

/**
 * Adds a decoder in the form onnxruntime-genai's model builder writes for CPU: fused
 * (Skip)SimplifiedLayerNormalization, GroupQueryAttention with rotary inside (cos/sin caches
 * sized to `maxPositions`), no `position_ids` input, and `MatMulNBits` with `accuracy_level=4`
 * for q4. dtype fp16 is not a genai CPU format and is refused.
 */
export function buildGenaiGraph(
  graph: GraphBuilder,
  config: SyntheticModelConfig,
  weights: ModelWeights,
  dtype: SyntheticDtype,
): void {
  if (dtype === 'fp16') throw new Error('Synthetic model: the genai style has no fp16 CPU variant; use fp32 or q4.');
  const { hidden, heads, kvHeads, headDim, intermediate, vocab } = config;
  const q4 = dtype === 'q4' ? { accuracyLevel: 4 } : undefined;
  const linear = (name: string, input: string, weight: string, n: number, k: number, bias?: string): string =>
    addLinear(graph, weights, { name, input, weight, bias, n, k, q4 });
  const epsilon = { float: config.rmsNormEps };

  const inputIds = graph.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const attentionMask = graph.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  for (let i = 0; i < config.layers; i++) {
    for (const kind of ['key', 'value']) {
      graph.input(`past_key_values.${i}.${kind}`, DataType.FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]);
    }
  }

  const embedding = graph.initializer('model.embed_tokens.weight', DataType.FLOAT, [vocab, hidden], requireWeight(weights, 'model.embed_tokens.weight'));
  const embedded = graph.at('/model/embed_tokens')('Gather', [embedding, inputIds]);

  // The builder's attention-mask reformatting: per-row length - 1, and the padded total length.
  const mask = graph.at('/model/attn_mask_reformat');
  const lengths = mask('ReduceSum', [attentionMask, graph.int64([1])], { keepdims: 0 });
  const seqlensK = mask('Cast', [mask('Sub', [lengths, graph.int64([1], [])])], { to: DataType.INT32 });
  const total = mask('Gather', [mask('Shape', [attentionMask]), graph.int64([1], [])], { axis: 0 });
  const totalLength = mask('Cast', [total], { to: DataType.INT32 });
  const { cosCache, sinCache } = addRotaryCaches(graph, config);

  let residual = embedded;
  let pending: string | null = null;
  // Adds `pending` to the residual stream (when there is one) and normalizes the sum.
  const normalize = (scope: string, weight: string): string => {
    const gamma = graph.initializer(weight, DataType.FLOAT, [hidden], requireWeight(weights, weight));
    if (pending === null) {
      return graph.at(scope)('SimplifiedLayerNormalization', [residual, gamma], { axis: -1, epsilon, stash_type: 1 });
    }
    const nodeName = `${scope}/SkipLayerNorm`;
    const [normed, , , sum] = graph.node('SkipSimplifiedLayerNormalization', [pending, residual, gamma], {
      name: nodeName,
      domain: 'com.microsoft',
      outputs: [`${nodeName}/output_0`, '', '', `${nodeName}/output_3`],
      attributes: { epsilon },
    });
    residual = sum;
    return normed;
  };

  for (let i = 0; i < config.layers; i++) {
    const p = `/model/layers.${i}`;
    const w = `model.layers.${i}`;
    const normed = normalize(`${p}/input_layernorm`, `${w}.input_layernorm.weight`);
    const bias = (proj: string): string | undefined => (config.qkvBias ? `${w}.self_attn.${proj}.bias` : undefined);
    const q = linear(`${p}/attn/q_proj`, normed, `${w}.self_attn.q_proj.weight`, heads * headDim, hidden, bias('q_proj'));
    const k = linear(`${p}/attn/k_proj`, normed, `${w}.self_attn.k_proj.weight`, kvHeads * headDim, hidden, bias('k_proj'));
    const v = linear(`${p}/attn/v_proj`, normed, `${w}.self_attn.v_proj.weight`, kvHeads * headDim, hidden, bias('v_proj'));
    const [context] = graph.node(
      'GroupQueryAttention',
      [q, k, v, `past_key_values.${i}.key`, `past_key_values.${i}.value`, seqlensK, totalLength, cosCache, sinCache],
      {
        name: `${p}/attn/GroupQueryAttention`,
        domain: 'com.microsoft',
        outputs: [`${p}/attn/GroupQueryAttention/output_0`, `present.${i}.key`, `present.${i}.value`],
        attributes: {
          num_heads: heads,
          kv_num_heads: kvHeads,
          do_rotary: 1,
          rotary_interleaved: 0,
          local_window_size: -1,
          scale: { float: 1 / Math.sqrt(headDim) },
        },
      },
    );
    for (const kind of ['key', 'value']) {
      graph.output(`present.${i}.${kind}`, DataType.FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]);
    }
    pending = linear(`${p}/attn/o_proj`, context, `${w}.self_attn.o_proj.weight`, hidden, heads * headDim);

    const normed2 = normalize(`${p}/post_attention_layernorm`, `${w}.post_attention_layernorm.weight`);
    const gate = linear(`${p}/mlp/gate_proj`, normed2, `${w}.mlp.gate_proj.weight`, intermediate, hidden);
    const up = linear(`${p}/mlp/up_proj`, normed2, `${w}.mlp.up_proj.weight`, intermediate, hidden);
    const mlp = graph.at(`${p}/mlp`);
    const silu = mlp('Mul', [gate, mlp('Sigmoid', [gate])]);
    pending = linear(`${p}/mlp/down_proj`, mlp('Mul', [silu, up]), `${w}.mlp.down_proj.weight`, hidden, intermediate);
  }

  const final = normalize('/model/layers.final_norm_layernorm', 'model.norm.weight');
  addLmHead(graph, weights, config, final, embedding, q4);
  graph.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab]);
}

/** `cos_cache` / `sin_cache` `[maxPositions, head_dim / 2]` for GroupQueryAttention's non-interleaved rotary. */
function addRotaryCaches(graph: GraphBuilder, config: SyntheticModelConfig): { cosCache: string; sinCache: string } {
  const half = config.headDim / 2;
  const cos = new Float32Array(config.maxPositions * half);
  const sin = new Float32Array(config.maxPositions * half);
  for (let i = 0; i < half; i++) {
    // Rounded through float32 as the optimum graph's Mul computes the angle.
    const invFreq = Math.fround(1 / config.ropeTheta ** ((2 * i) / config.headDim));
    for (let position = 0; position < config.maxPositions; position++) {
      const angle = Math.fround(position * invFreq);
      cos[position * half + i] = Math.cos(angle);
      sin[position * half + i] = Math.sin(angle);
    }
  }
  return {
    cosCache: graph.initializer('cos_cache', DataType.FLOAT, [config.maxPositions, half], cos),
    sinCache: graph.initializer('sin_cache', DataType.FLOAT, [config.maxPositions, half], sin),
  };
}
