import { ModelWeights } from './model-weights.js';
import type { SyntheticModelConfig } from './types.js';

/** Standard deviation of the logits the final norm and `lm_head` produce: spread, not flat. */
const LOGIT_STD = 3;
// Random decoders degenerate unless the residual stream is balanced (found by trying shapes from
// 2 to 30 layers): sublayers together must outweigh the embedding, or a tied lm_head repeats the
// input token; and attention must stay below the MLP, or deep stacks average the context into one
// state and greedy decoding repeats a single token.
const RESIDUAL_LAYERS = 30;
const ATTENTION_SHARE = 0.4;

/**
 * The fp32 weights of a decoder, Hugging Face names and layouts (`[out, in]`), scaled so that
 * logits are spread and greedy decoding neither repeats a token nor ignores the context; each is
 * drawn only when asked for. A small `attentionShare` makes a model whose next token depends on
 * the current one almost alone: its greedy output follows a fixed chain, which a prompt holding
 * that chain lets it quote (the prompt-lookup benchmark).
 */
export function createModelWeights(config: SyntheticModelConfig, seed: number, attentionShare = ATTENTION_SHARE): ModelWeights {
  const { hidden, heads, kvHeads, headDim, intermediate, vocab } = config;
  const weights = new ModelWeights(seed);
  const add = (name: string, size: number, std: number, mean = 0): void => weights.random(name, size, std, mean);
  const unit = 1 / Math.sqrt(hidden);
  const mlpGain = Math.max(1, Math.sqrt(RESIDUAL_LAYERS / config.layers));
  const attentionGain = attentionShare * mlpGain;

  add('model.embed_tokens.weight', vocab * hidden, LOGIT_STD * unit);
  for (let i = 0; i < config.layers; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, hidden, 0.1, 1);
    add(`${p}.self_attn.q_proj.weight`, heads * headDim * hidden, unit);
    add(`${p}.self_attn.k_proj.weight`, kvHeads * headDim * hidden, unit);
    add(`${p}.self_attn.v_proj.weight`, kvHeads * headDim * hidden, unit);
    if (config.qkvBias) {
      add(`${p}.self_attn.q_proj.bias`, heads * headDim, 0.2);
      add(`${p}.self_attn.k_proj.bias`, kvHeads * headDim, 0.2);
      add(`${p}.self_attn.v_proj.bias`, kvHeads * headDim, 0.2);
    }
    add(`${p}.self_attn.o_proj.weight`, hidden * heads * headDim, attentionGain / Math.sqrt(heads * headDim));
    add(`${p}.post_attention_layernorm.weight`, hidden, 0.1, 1);
    add(`${p}.mlp.gate_proj.weight`, intermediate * hidden, unit);
    add(`${p}.mlp.up_proj.weight`, intermediate * hidden, unit);
    add(`${p}.mlp.down_proj.weight`, hidden * intermediate, mlpGain / Math.sqrt(intermediate));
  }
  add('model.norm.weight', hidden, 0.1, 1);
  if (!config.tieEmbeddings) add('lm_head.weight', vocab * hidden, LOGIT_STD * unit);
  return weights;
}
