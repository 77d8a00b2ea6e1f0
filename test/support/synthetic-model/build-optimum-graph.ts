import { addLinear } from './add-linear.js';
import { addLmHead } from './add-lm-head.js';
import { DataType, type GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';
import { requireWeight } from './require-weight.js';
import type { SyntheticDtype, SyntheticModelConfig } from './types.js';

// torch.finfo(float32).min, the value Hugging Face's masks add to forbidden scores.
const MASK_MIN = -3.4028234663852886e38;

/**
 * Adds a decoder in the form optimum / transformers.js export it: plain-op RMSNorm, RoPE from
 * `position_ids`, attention with an in-graph causal and padding mask, the KV cache concatenated
 * (float16 at the boundary for dtype fp16), and `MatMulNBits` without `accuracy_level` for q4.
 * `headless` leaves out `lm_head` and returns the final norm's `last_hidden_state`, as embedding exports do.
 */
export function buildOptimumGraph(
  graph: GraphBuilder,
  config: SyntheticModelConfig,
  weights: ModelWeights,
  dtype: SyntheticDtype,
  headless = false,
): void {
  const { hidden, heads, kvHeads, headDim, intermediate, vocab } = config;
  const kvType = dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  const q4 = dtype === 'q4' ? {} : undefined;
  const linear = (name: string, input: string, weight: string, n: number, k: number, bias?: string): string =>
    addLinear(graph, weights, { name, input, weight, bias, n, k, q4 });

  const inputIds = graph.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const attentionMask = graph.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positionIds = graph.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  for (let i = 0; i < config.layers; i++) {
    for (const kind of ['key', 'value']) {
      graph.input(`past_key_values.${i}.${kind}`, kvType, ['batch_size', kvHeads, 'past_sequence_length', headDim]);
    }
  }

  const embedding = graph.initializer('model.embed_tokens.weight', DataType.FLOAT, [vocab, hidden], requireWeight(weights, 'model.embed_tokens.weight'));
  let residual = graph.at('/model/embed_tokens')('Gather', [embedding, inputIds]);
  const mask = addAttentionMask(graph, inputIds, attentionMask);
  const { cos, sin } = addRotaryTables(graph, config, positionIds);

  for (let i = 0; i < config.layers; i++) {
    const p = `/model/layers.${i}`;
    const w = `model.layers.${i}`;
    const attn = graph.at(`${p}/self_attn`);
    const normed = addRmsNorm(graph, `${p}/input_layernorm`, residual, weights, `${w}.input_layernorm.weight`, config);
    const bias = (proj: string): string | undefined => (config.qkvBias ? `${w}.self_attn.${proj}.bias` : undefined);
    const q = linear(`${p}/self_attn/q_proj`, normed, `${w}.self_attn.q_proj.weight`, heads * headDim, hidden, bias('q_proj'));
    const k = linear(`${p}/self_attn/k_proj`, normed, `${w}.self_attn.k_proj.weight`, kvHeads * headDim, hidden, bias('k_proj'));
    const v = linear(`${p}/self_attn/v_proj`, normed, `${w}.self_attn.v_proj.weight`, kvHeads * headDim, hidden, bias('v_proj'));

    // [batch, seq, n * head_dim] -> [batch, n, seq, head_dim]
    const toHeads = (x: string, n: number): string =>
      attn('Transpose', [attn('Reshape', [x, graph.int64([0, 0, n, headDim])])], { perm: [0, 2, 1, 3] });
    const qRotated = addRotary(graph, `${p}/self_attn/q_rotary`, toHeads(q, heads), cos, sin, headDim);
    const kRotated = addRotary(graph, `${p}/self_attn/k_rotary`, toHeads(k, kvHeads), cos, sin, headDim);

    const present = (kind: 'key' | 'value', fresh: string): string => {
      const name = `present.${i}.${kind}`;
      const float16 = kvType === DataType.FLOAT16;
      const past = `past_key_values.${i}.${kind}`;
      const all = attn('Concat', [float16 ? attn('Cast', [past], { to: DataType.FLOAT }) : past, fresh], { axis: 2 }, float16 ? undefined : name);
      if (float16) attn('Cast', [all], { to: DataType.FLOAT16 }, name);
      graph.output(name, kvType, ['batch_size', kvHeads, 'total_sequence_length', headDim]);
      return all;
    };
    const keys = repeatKv(graph, `${p}/self_attn/repeat_kv`, present('key', kRotated), heads, kvHeads, headDim);
    const values = repeatKv(graph, `${p}/self_attn/repeat_kv`, present('value', toHeads(v, kvHeads)), heads, kvHeads, headDim);

    const scores = attn('Mul', [attn('MatMul', [qRotated, attn('Transpose', [keys], { perm: [0, 1, 3, 2] })]), graph.float([1 / Math.sqrt(headDim)], [])]);
    const probs = attn('Softmax', [attn('Add', [scores, mask])], { axis: -1 });
    const context = attn('Transpose', [attn('MatMul', [probs, values])], { perm: [0, 2, 1, 3] });
    const merged = attn('Reshape', [context, graph.int64([0, 0, heads * headDim])]);
    const attention = linear(`${p}/self_attn/o_proj`, merged, `${w}.self_attn.o_proj.weight`, hidden, heads * headDim);
    residual = graph.at(p)('Add', [residual, attention]);

    const mlp = graph.at(`${p}/mlp`);
    const normed2 = addRmsNorm(graph, `${p}/post_attention_layernorm`, residual, weights, `${w}.post_attention_layernorm.weight`, config);
    const gate = linear(`${p}/mlp/gate_proj`, normed2, `${w}.mlp.gate_proj.weight`, intermediate, hidden);
    const up = linear(`${p}/mlp/up_proj`, normed2, `${w}.mlp.up_proj.weight`, intermediate, hidden);
    const silu = mlp('Mul', [gate, mlp('Sigmoid', [gate])]);
    const down = linear(`${p}/mlp/down_proj`, mlp('Mul', [silu, up]), `${w}.mlp.down_proj.weight`, hidden, intermediate);
    residual = graph.at(p)('Add', [residual, down]);
  }

  const final = addRmsNorm(graph, '/model/norm', residual, weights, 'model.norm.weight', config);
  if (headless) {
    graph.op('Identity', [final], { name: '/model/last_hidden_state', output: 'last_hidden_state' });
    graph.output('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', hidden]);
    return;
  }
  addLmHead(graph, weights, config, final, embedding, q4);
  graph.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', vocab]);
}

/** `x / sqrt(mean(x²) + eps) * weight`, in the op pattern onnxruntime fuses into SimplifiedLayerNormalization. */
function addRmsNorm(
  graph: GraphBuilder,
  scope: string,
  input: string,
  weights: ModelWeights,
  weight: string,
  config: SyntheticModelConfig,
): string {
  const op = graph.at(scope);
  const mean = op('ReduceMean', [op('Pow', [input, graph.float([2], [])])], { axes: [-1], keepdims: 1 });
  const root = op('Sqrt', [op('Add', [mean, graph.float([config.rmsNormEps], [])])]);
  const gamma = graph.initializer(weight, DataType.FLOAT, [config.hidden], requireWeight(weights, weight));
  return op('Mul', [op('Div', [input, root]), gamma]);
}

/** `[batch, 1, seq, total]` float mask: 0 where query i may see key j (causal and not padding), else float min. */
function addAttentionMask(graph: GraphBuilder, inputIds: string, attentionMask: string): string {
  const op = graph.at('/model/attn_mask');
  const secondDim = (x: string): string => op('Gather', [op('Shape', [x]), graph.int64([1], [])], { axis: 0 });
  const seq = secondDim(inputIds);
  const total = secondDim(attentionMask);
  const one = graph.int64([1], []);
  const keyIndex = op('Range', [graph.int64([0], []), total, one]);
  const queryIndex = op('Unsqueeze', [op('Range', [op('Sub', [total, seq]), total, one]), graph.int64([1])]);
  const causal = op('LessOrEqual', [keyIndex, queryIndex]);
  const notPadding = op('Unsqueeze', [op('Cast', [attentionMask], { to: DataType.BOOL }), graph.int64([1, 2])]);
  return op('Where', [op('And', [causal, notPadding]), graph.float([0], []), graph.float([MASK_MIN], [])]);
}

/** cos and sin of `position * inv_freq`, duplicated over both halves, shaped `[batch, 1, seq, head_dim]`. */
function addRotaryTables(graph: GraphBuilder, config: SyntheticModelConfig, positionIds: string): { cos: string; sin: string } {
  const op = graph.at('/model/rotary_emb');
  const invFreq = Array.from({ length: config.headDim / 2 }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / config.headDim));
  const positions = op('Unsqueeze', [op('Cast', [positionIds], { to: DataType.FLOAT }), graph.int64([2])]);
  const freqs = op('Mul', [positions, graph.float(invFreq)]);
  const angles = op('Concat', [freqs, freqs], { axis: -1 });
  return {
    cos: op('Unsqueeze', [op('Cos', [angles]), graph.int64([1])]),
    sin: op('Unsqueeze', [op('Sin', [angles]), graph.int64([1])]),
  };
}

/** `x·cos + rotate_half(x)·sin` with `rotate_half(x) = [-x₂, x₁]` on `[batch, heads, seq, head_dim]`. */
function addRotary(graph: GraphBuilder, scope: string, x: string, cos: string, sin: string, headDim: number): string {
  const op = graph.at(scope);
  const half = headDim / 2;
  const axis = graph.int64([3]);
  const first = op('Slice', [x, graph.int64([0]), graph.int64([half]), axis]);
  const second = op('Slice', [x, graph.int64([half]), graph.int64([headDim]), axis]);
  const rotated = op('Concat', [op('Neg', [second]), first], { axis: -1 });
  return op('Add', [op('Mul', [x, cos]), op('Mul', [rotated, sin])]);
}

/** Repeats each of `kvHeads` heads `heads / kvHeads` times along axis 1 (grouped-query attention). */
function repeatKv(graph: GraphBuilder, scope: string, x: string, heads: number, kvHeads: number, headDim: number): string {
  if (heads === kvHeads) return x;
  const op = graph.at(scope);
  const expanded = op('Expand', [op('Unsqueeze', [x, graph.int64([2])]), graph.int64([1, 1, heads / kvHeads, 1, 1])]);
  return op('Reshape', [expanded, graph.int64([0, heads, -1, headDim])]);
}
