import type { SyntheticModelConfig, WeightLookup } from '../../test/support/synthetic-model/index.js';
import type { GgufSourceTensor } from './types.js';

/**
 * Renames Hugging Face llama / qwen2 weights to llama.cpp's tensors, in the order its converter
 * writes them. Like `convert_hf_to_gguf.py`, it permutes the q/k rows of llama models from
 * Hugging Face's rotate-half layout to the interleaved pairs of llama.cpp's normal rope; qwen2
 * uses NEOX rope, which is rotate-half, and stays as is. `output.weight` is left out when the
 * embeddings are tied: llama.cpp then multiplies by `token_embd.weight`. Values are taken from
 * `weights` only when a tensor's are asked for.
 */
export function llamaCppTensors(config: SyntheticModelConfig, weights: WeightLookup): GgufSourceTensor[] {
  const { hidden, heads, kvHeads, headDim, intermediate, vocab } = config;
  const take = (name: string, size: number): (() => Float32Array) => {
    // Missing weights fail before anything is written; sizes are known only once drawn.
    if (!weights.has(name)) throw new Error(`GGUF: no weight ${name}.`);
    return () => {
      const values = weights.get(name);
      if (!values) throw new Error(`GGUF: no weight ${name}.`);
      if (values.length !== size) throw new Error(`GGUF: ${name} has ${values.length} values, not ${size}.`);
      return values;
    };
  };
  const rope = (values: () => Float32Array, headCount: number): (() => Float32Array) =>
    config.arch === 'llama' ? () => interleaveRotaryRows(values(), headCount, headDim, hidden) : values;

  const tensors: GgufSourceTensor[] = [
    { name: 'token_embd.weight', dims: [hidden, vocab], values: take('model.embed_tokens.weight', vocab * hidden) },
  ];
  for (let i = 0; i < config.layers; i++) {
    const hf = `model.layers.${i}`;
    const blk = `blk.${i}`;
    const q = heads * headDim;
    const kv = kvHeads * headDim;
    tensors.push({ name: `${blk}.attn_norm.weight`, dims: [hidden], values: take(`${hf}.input_layernorm.weight`, hidden) });
    tensors.push({ name: `${blk}.attn_q.weight`, dims: [hidden, q], values: rope(take(`${hf}.self_attn.q_proj.weight`, q * hidden), heads) });
    if (config.qkvBias) tensors.push({ name: `${blk}.attn_q.bias`, dims: [q], values: take(`${hf}.self_attn.q_proj.bias`, q) });
    tensors.push({ name: `${blk}.attn_k.weight`, dims: [hidden, kv], values: rope(take(`${hf}.self_attn.k_proj.weight`, kv * hidden), kvHeads) });
    if (config.qkvBias) tensors.push({ name: `${blk}.attn_k.bias`, dims: [kv], values: take(`${hf}.self_attn.k_proj.bias`, kv) });
    tensors.push({ name: `${blk}.attn_v.weight`, dims: [hidden, kv], values: take(`${hf}.self_attn.v_proj.weight`, kv * hidden) });
    if (config.qkvBias) tensors.push({ name: `${blk}.attn_v.bias`, dims: [kv], values: take(`${hf}.self_attn.v_proj.bias`, kv) });
    tensors.push({ name: `${blk}.attn_output.weight`, dims: [q, hidden], values: take(`${hf}.self_attn.o_proj.weight`, hidden * q) });
    tensors.push({ name: `${blk}.ffn_norm.weight`, dims: [hidden], values: take(`${hf}.post_attention_layernorm.weight`, hidden) });
    tensors.push({ name: `${blk}.ffn_gate.weight`, dims: [hidden, intermediate], values: take(`${hf}.mlp.gate_proj.weight`, intermediate * hidden) });
    tensors.push({ name: `${blk}.ffn_up.weight`, dims: [hidden, intermediate], values: take(`${hf}.mlp.up_proj.weight`, intermediate * hidden) });
    tensors.push({ name: `${blk}.ffn_down.weight`, dims: [intermediate, hidden], values: take(`${hf}.mlp.down_proj.weight`, hidden * intermediate) });
  }
  tensors.push({ name: 'output_norm.weight', dims: [hidden], values: take('model.norm.weight', hidden) });
  if (!config.tieEmbeddings) tensors.push({ name: 'output.weight', dims: [hidden, vocab], values: take('lm_head.weight', vocab * hidden) });
  return tensors;
}

/**
 * `convert_hf_to_gguf.py`'s `permute`: within each head, output row `2i + h` takes input row
 * `h·headDim/2 + i`, so that the halves rotate-half pairs become adjacent pairs.
 */
function interleaveRotaryRows(values: Float32Array, headCount: number, headDim: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  const half = headDim / 2;
  for (let head = 0; head < headCount; head++) {
    for (let i = 0; i < half; i++) {
      for (let h = 0; h < 2; h++) {
        const from = (head * headDim + h * half + i) * columns;
        const to = (head * headDim + 2 * i + h) * columns;
        out.set(values.subarray(from, from + columns), to);
      }
    }
  }
  return out;
}
