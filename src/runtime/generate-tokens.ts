import { createSampler, tokenLogprobs, type SamplingOptions, type TokenLogprob } from './sampling/index.js';
import type { GrammarSpec } from './grammar/index.js';
import type { TokenConstraint } from './grammar/token-constraint.js';
import type { SequenceDecoder } from './sequence-decoder.js';
import { feedPrompt } from './feed-prompt.js';

/** What the token loop is asked to do: everything is in token ids, text stays with the caller. */
export interface TokenPlan {
  promptIds: number[];
  sampling: SamplingOptions;
  /** Most tokens to generate. */
  budget: number;
  /** Ids that end generation (not yielded); empty to run the whole budget. */
  eosTokenIds: number[];
  /** Keep the cached rows of the prompt's prefix that the previous sequence shares (a chat's earlier turns). */
  reusePrefix: boolean;
  /** Report each token's log probability and this many most likely alternatives; undefined for none. */
  logprobs?: number;
  /** The shape the output must take; EOS is allowed only where it is complete. */
  grammar?: GrammarSpec;
}

/** A sampled token, with its log probability when the plan asked for them. */
export interface SampledToken {
  id: number;
  logprob?: number;
  /** The most likely tokens at that step, best first. */
  top?: TokenLogprob[];
}

/** Why the token loop ended: 'eos' also when a grammar's output is complete. */
export type TokenStopReason = 'eos' | 'max-tokens' | 'interrupted';

/** How the token loop went, timed where the model runs. */
export interface TokenRunStats {
  /** Leading prompt ids whose cache rows were kept from the previous sequence (not prefilled again). */
  reusedTokens: number;
  prefillMs: number;
  /** From the start of prefill to the first sampled token. */
  timeToFirstTokenMs: number;
  /** From the first sampled token to the last step's end. */
  decodeMs: number;
  /** Forward passes after the first token (the ones `decodeMs` times). */
  decodeSteps: number;
  stopReason: TokenStopReason;
}

/** Tokens as they are sampled, while the loop goes on; `stop()` ends it after the current step. */
export interface TokenStream extends AsyncIterable<SampledToken> {
  stop(): void;
  /** Resolves once the loop ended. */
  readonly stats: Promise<TokenRunStats>;
}

/** Starts a token loop somewhere: in a worker thread (LocalModel) or in this one. */
export type TokenSource = (plan: TokenPlan) => TokenStream;

/**
 * The generation loop over token ids: prefill the prompt (what the cache does not already hold) in
 * one run, then one token per run,
 * sampling each, until an EOS id, the budget, or `shouldStop()`. Yields each token as soon as it is
 * sampled (before the next step runs) and returns the timings. With a `constraint` (the plan's
 * grammar, compiled), only tokens it allows are drawn, and the loop ends as soon as the output is
 * complete.
 */
export async function* generateTokens(
  decoder: SequenceDecoder,
  plan: TokenPlan,
  shouldStop: () => boolean,
  constraint?: TokenConstraint,
): AsyncGenerator<SampledToken, TokenRunStats> {
  const eos = new Set(plan.eosTokenIds);
  const sampler = createSampler(plan.sampling, constraint ? [constraint] : []);
  const history = [...plan.promptIds];
  let generated = 0;
  let stopReason: TokenStopReason = 'max-tokens';

  const started = performance.now();
  let firstTokenAt = 0;
  // Room for a typical reply, for decoders that size their buffers up front (the shared KV strategy); they double if the reply runs longer.
  const capacity = plan.promptIds.length + Math.min(plan.budget, 256);
  let reusedTokens = 0;
  if (plan.reusePrefix) reusedTokens = decoder.startSequence(plan.promptIds, capacity);
  else decoder.reset(capacity);
  let logits = await feedPrompt(decoder, reusedTokens > 0 ? plan.promptIds.slice(reusedTokens) : plan.promptIds);
  const prefillMs = performance.now() - started;
  while (generated < plan.budget) {
    if (shouldStop()) {
      stopReason = 'interrupted';
      break;
    }
    if (constraint && !(await constraint.prepare())) {
      stopReason = 'eos';
      break;
    }
    const id = sampler.sample(logits, history);
    if (generated === 0) firstTokenAt = performance.now();
    if (eos.has(id)) {
      stopReason = 'eos';
      break;
    }
    constraint?.accept(id);
    generated++;
    history.push(id);
    yield plan.logprobs === undefined ? { id } : { id, ...tokenLogprobs(logits, id, plan.logprobs) };
    if (generated >= plan.budget) break;
    logits = await decoder.forward([id]);
  }
  const ended = performance.now();
  return {
    reusedTokens,
    prefillMs,
    timeToFirstTokenMs: (firstTokenAt || ended) - started,
    decodeMs: firstTokenAt > 0 ? ended - firstTokenAt : 0,
    decodeSteps: Math.max(0, generated - 1),
    stopReason,
  };
}
