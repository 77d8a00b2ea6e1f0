import { createSampler, isGreedy, tokenLogprobs, type SamplingOptions, type TokenLogprob } from './sampling/index.js';
import type { GrammarSpec } from './grammar/index.js';
import type { TokenConstraint } from './grammar/token-constraint.js';
import { lookupDrafts } from './prompt-lookup.js';
import type { DraftVerifier, SequenceDecoder } from './sequence-decoder.js';
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
  /**
   * Prompt-lookup decoding: check tokens copied from earlier in the sequence in one pass. Applies
   * to greedy runs without a grammar, on decoders with a `verifier`; the output is the same.
   */
  promptLookup?: boolean;
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
  /** Tokens after the first (the ones `decodeMs` times). */
  decodeSteps: number;
  /** Prompt-lookup tokens checked, and how many of them the model chose (0 without prompt lookup). */
  draftedTokens: number;
  acceptedDrafts: number;
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

/** Drafts per check at first, and their bounds: more after a check accepted them all, fewer after one did not. */
const FIRST_DRAFT_LENGTH = 4;
const MAX_DRAFT_LENGTH = 10;

/**
 * The generation loop over token ids: prefill the prompt (what the cache does not already hold)
 * in chunks, then one token per run, sampling each, until an EOS id, the budget, or
 * `shouldStop()`. Yields each token as soon as it is sampled (before the next step runs) and
 * returns the timings. With a `constraint` (the plan's grammar, compiled), only tokens it allows
 * are drawn, and the loop ends as soon as the output is complete.
 *
 * With prompt lookup, a step feeds the sampled token followed by drafts (`lookupDrafts`) and gets
 * the logits of each position back: each draft the sampler would have chosen anyway is taken
 * without a pass of its own, and the rows from the first rejected one on are dropped. Greedy
 * sampling is deterministic given the logits and the history, so the tokens are the same (up to
 * the float rounding that separates a pass over one position from a pass over several).
 */
export async function* generateTokens(
  decoder: SequenceDecoder,
  plan: TokenPlan,
  shouldStop: () => boolean,
  constraint?: TokenConstraint,
): AsyncGenerator<SampledToken, TokenRunStats> {
  const eos = new Set(plan.eosTokenIds);
  const sampler = createSampler(plan.sampling, constraint ? [constraint] : []);
  const lookup = plan.promptLookup === true && isGreedy(plan.sampling) && !constraint;
  /** The draft checking that fed `drafts`. */
  let verifier: DraftVerifier | undefined;
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
  /** Logits not sampled yet, oldest first: one, or one per draft still unchecked plus one. */
  let pending = [await feedPrompt(decoder, reusedTokens > 0 ? plan.promptIds.slice(reusedTokens) : plan.promptIds)];
  const prefillMs = performance.now() - started;
  /** Drafts fed but not yet checked against the sampler's choice. */
  let drafts: number[] = [];
  let draftLength = FIRST_DRAFT_LENGTH;
  let draftedTokens = 0;
  let acceptedDrafts = 0;
  while (generated < plan.budget) {
    if (shouldStop()) {
      stopReason = 'interrupted';
      break;
    }
    if (constraint && !(await constraint.prepare())) {
      stopReason = 'eos';
      break;
    }
    const logits = pending.shift() as Float32Array;
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
    if (drafts[0] === id) {
      // Already fed, and its logits are next in `pending`.
      drafts.shift();
      acceptedDrafts++;
      if (drafts.length === 0) draftLength = Math.min(MAX_DRAFT_LENGTH, draftLength + 2);
      continue;
    }
    if (verifier && drafts.length > 0) {
      verifier.rewind(verifier.length - drafts.length);
      draftLength = Math.max(1, draftLength - 1);
    }
    // Asked at every step: a batched sequence can check drafts only while it is alone in flight.
    verifier = lookup ? decoder.verifier : undefined;
    drafts = verifier ? lookupDrafts(history, Math.min(draftLength, plan.budget - generated - 1)) : [];
    if (verifier && drafts.length > 0) {
      draftedTokens += drafts.length;
      pending = await verifier.forwardEach([id, ...drafts]);
    } else {
      pending = [await decoder.forward([id])];
    }
  }
  const ended = performance.now();
  return {
    reusedTokens,
    prefillMs,
    timeToFirstTokenMs: (firstTokenAt || ended) - started,
    decodeMs: firstTokenAt > 0 ? ended - firstTokenAt : 0,
    decodeSteps: Math.max(0, generated - 1),
    draftedTokens,
    acceptedDrafts,
    stopReason,
  };
}
