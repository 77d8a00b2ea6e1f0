import type { SyntheticModelConfig, WeightLookup } from '../support/synthetic-model/index.js';

/** A llama / qwen2 decoder as the synthetic model generator describes it: sizes and Hugging Face weights. */
export interface ReferenceModel {
  config: SyntheticModelConfig;
  /** Hugging Face parameter names in Hugging Face layout (`[out, in]`, `y = x·Wᵀ + b`). */
  weights: WeightLookup;
}

/** The result of one reference pass over a whole sequence. */
export interface ReferenceRun {
  /** Tokens in the sequence. */
  length: number;
  /** The logits the model predicts the token after `position` with (0-based). */
  logitsAt(position: number): Float32Array;
}

/**
 * Runs a llama / qwen2 decoder over `ids` (positions 0..n-1, no cache) in float64, written from
 * the architecture's equations rather than from any ONNX graph, so that it checks the generator's
 * graphs and owm's decoding loop alike. The causal mask makes the logits at position p those of
 * the prefix `ids[0..p]`, which is what a KV-cached decoder must reproduce step by step.
 */
export function referenceForward(model: ReferenceModel, ids: readonly number[]): ReferenceRun {
  const { config } = model;
  const weight = (name: string): Float32Array => {
    const found = model.weights.get(name);
    if (!found) throw new Error(`Reference forward: no weight ${name}.`);
    return found;
  };
  const n = ids.length;
  const { hidden, heads, kvHeads, headDim, intermediate, vocab } = config;

  const embedding = weight('model.embed_tokens.weight');
  const x = new Float64Array(n * hidden);
  ids.forEach((id, position) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`Reference forward: token id ${id} is outside the vocabulary.`);
    for (let i = 0; i < hidden; i++) x[position * hidden + i] = embedding[id * hidden + i];
  });

  for (let layer = 0; layer < config.layers; layer++) {
    const prefix = `model.layers.${layer}.`;
    const attentionInput = rmsNorm(x, weight(`${prefix}input_layernorm.weight`), n, hidden, config.rmsNormEps);
    const bias = (name: string): Float32Array | undefined => (config.qkvBias ? weight(`${prefix}self_attn.${name}.bias`) : undefined);
    const q = linear(attentionInput, n, hidden, weight(`${prefix}self_attn.q_proj.weight`), heads * headDim, bias('q_proj'));
    const k = linear(attentionInput, n, hidden, weight(`${prefix}self_attn.k_proj.weight`), kvHeads * headDim, bias('k_proj'));
    const v = linear(attentionInput, n, hidden, weight(`${prefix}self_attn.v_proj.weight`), kvHeads * headDim, bias('v_proj'));
    rotate(q, n, heads, headDim, config.ropeTheta);
    rotate(k, n, kvHeads, headDim, config.ropeTheta);
    const attended = causalAttention(q, k, v, n, heads, kvHeads, headDim);
    addInPlace(x, linear(attended, n, heads * headDim, weight(`${prefix}self_attn.o_proj.weight`), hidden));

    const mlpInput = rmsNorm(x, weight(`${prefix}post_attention_layernorm.weight`), n, hidden, config.rmsNormEps);
    const gate = linear(mlpInput, n, hidden, weight(`${prefix}mlp.gate_proj.weight`), intermediate);
    const up = linear(mlpInput, n, hidden, weight(`${prefix}mlp.up_proj.weight`), intermediate);
    for (let i = 0; i < gate.length; i++) {
      const g = gate[i];
      gate[i] = (g / (1 + Math.exp(-g))) * up[i];
    }
    addInPlace(x, linear(gate, n, intermediate, weight(`${prefix}mlp.down_proj.weight`), hidden));
  }

  const final = rmsNorm(x, weight('model.norm.weight'), n, hidden, config.rmsNormEps);
  // Tied fp32 graphs multiply by the embedding itself; a tied q4 graph carries its own quantized copy.
  const head = model.weights.get('lm_head.weight') ?? (config.tieEmbeddings ? embedding : weight('lm_head.weight'));
  return {
    length: n,
    logitsAt(position: number): Float32Array {
      if (!Number.isInteger(position) || position < 0 || position >= n) throw new Error(`Reference forward: no position ${position}.`);
      return Float32Array.from(linear(final.subarray(position * hidden, (position + 1) * hidden), 1, hidden, head, vocab));
    },
  };
}

/** `x / sqrt(mean(x²) + eps) * w`, row by row. */
function rmsNorm(x: Float64Array, w: Float32Array, rows: number, dim: number, eps: number): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let squares = 0;
    for (let i = 0; i < dim; i++) squares += x[r * dim + i] ** 2;
    const scale = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i] * scale * w[i];
  }
  return out;
}

/** `x·Wᵀ + b` for `rows` rows of `x`, with `W` stored `[outDim, inDim]`. */
function linear(x: Float64Array, rows: number, inDim: number, w: Float32Array, outDim: number, b?: Float32Array): Float64Array {
  if (w.length !== outDim * inDim) throw new Error(`Reference forward: weight of ${w.length} values, expected ${outDim}×${inDim}.`);
  const out = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const row = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const base = o * inDim;
      let sum = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) sum += x[row + i] * w[base + i];
      out[r * outDim + o] = sum;
    }
  }
  return out;
}

/**
 * Rotary embedding in place, in the rotate_half convention: dimension j pairs with j + d/2 and
 * turns by position · theta^(-2j/d).
 */
function rotate(x: Float64Array, n: number, headCount: number, headDim: number, theta: number): void {
  const half = headDim / 2;
  for (let position = 0; position < n; position++) {
    for (let j = 0; j < half; j++) {
      const angle = position * theta ** ((-2 * j) / headDim);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      for (let h = 0; h < headCount; h++) {
        const at = (position * headCount + h) * headDim + j;
        const first = x[at];
        const second = x[at + half];
        x[at] = first * cos - second * sin;
        x[at + half] = second * cos + first * sin;
      }
    }
  }
}

/** Softmax(q·kᵀ / √d) · v over positions up to the query's own, each query head reading kv head h / (heads / kvHeads). */
function causalAttention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  n: number,
  heads: number,
  kvHeads: number,
  headDim: number,
): Float64Array {
  const group = heads / kvHeads;
  const out = new Float64Array(n * heads * headDim);
  const scores = new Float64Array(n);
  const scale = 1 / Math.sqrt(headDim);
  for (let h = 0; h < heads; h++) {
    const kvHead = Math.floor(h / group);
    for (let i = 0; i < n; i++) {
      const qAt = (i * heads + h) * headDim;
      let best = Number.NEGATIVE_INFINITY;
      for (let j = 0; j <= i; j++) {
        const kAt = (j * kvHeads + kvHead) * headDim;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qAt + d] * k[kAt + d];
        scores[j] = dot * scale;
        best = Math.max(best, dot * scale);
      }
      let total = 0;
      for (let j = 0; j <= i; j++) {
        scores[j] = Math.exp(scores[j] - best);
        total += scores[j];
      }
      for (let j = 0; j <= i; j++) {
        const p = scores[j] / total;
        const vAt = (j * kvHeads + kvHead) * headDim;
        for (let d = 0; d < headDim; d++) out[qAt + d] += p * v[vAt + d];
      }
    }
  }
  return out;
}

function addInPlace(target: Float64Array, addend: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += addend[i];
}
