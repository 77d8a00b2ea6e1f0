import type { SequenceDecoder } from './sequence-decoder.js';

/**
 * Prompt tokens fed per forward pass. Attention's scores of a pass are `[heads, fed, context]`
 * floats: fed whole, a 2,048-token prompt on Llama-3.2-1B's 32 heads makes 0.5 GB of them per
 * tensor, an 8,192-token one 8.6 GB. In chunks, memory stays bounded whatever the prompt, the
 * weights are read once per chunk (little next to a chunk's arithmetic), and sequences decoding in
 * the same batch step between the chunks of a long prompt instead of waiting for all of it.
 */
export const PROMPT_CHUNK_TOKENS = 256;

/** Feeds `ids` (at least one) after what the decoder's cache holds, in chunks; returns the logits of the last position. */
export async function feedPrompt(decoder: SequenceDecoder, ids: readonly number[]): Promise<Float32Array> {
  let logits = await decoder.forward(ids.slice(0, PROMPT_CHUNK_TOKENS));
  for (let start = PROMPT_CHUNK_TOKENS; start < ids.length; start += PROMPT_CHUNK_TOKENS) {
    logits = await decoder.forward(ids.slice(start, start + PROMPT_CHUNK_TOKENS));
  }
  return logits;
}
