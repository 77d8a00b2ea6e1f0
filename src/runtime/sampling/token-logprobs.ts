/** A token and its log probability under the model. */
export interface TokenLogprob {
  id: number;
  logprob: number;
}

/**
 * The log probability of `id` in the model's own distribution (softmax of the raw logits, before
 * penalties and temperature, as OpenAI and vLLM report them), and the `top` most likely tokens.
 */
export function tokenLogprobs(logits: Float32Array, id: number, top: number): { logprob: number; top: TokenLogprob[] } {
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > best) best = logits[i] as number;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - best);
  const logNormalizer = best + Math.log(sum);
  // The top few by insertion into a short sorted list: top is at most 20.
  const leaders: TokenLogprob[] = [];
  if (top > 0) {
    for (let i = 0; i < logits.length; i++) {
      const value = logits[i] as number;
      if (leaders.length === top && value <= (leaders[top - 1] as TokenLogprob).logprob) continue;
      let at = leaders.length;
      while (at > 0 && (leaders[at - 1] as TokenLogprob).logprob < value) at--;
      leaders.splice(at, 0, { id: i, logprob: value });
      if (leaders.length > top) leaders.pop();
    }
  }
  return {
    logprob: (logits[id] as number) - logNormalizer,
    top: leaders.map((leader) => ({ id: leader.id, logprob: leader.logprob - logNormalizer })),
  };
}
