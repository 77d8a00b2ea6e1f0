import { RuntimeError, UsageError } from '../errors.js';
import type { SampledToken, TokenSource } from './generate-tokens.js';
import type { GrammarSpec } from './grammar/index.js';
import type { ToolDefinition } from './tools/index.js';
import type { TextModel } from './load-text-model.js';
import { FALLBACK_SAMPLING, resolveSampling, type SamplingOptions } from './sampling/index.js';
import { renderChatTemplate, type ChatMessage } from './render-chat-template.js';
import { StopSequenceMatcher } from './stop-sequence-matcher.js';
import { TextStreamer } from './text-streamer.js';
import { ThinkFilter } from './think-filter.js';

/** Context window used when neither the user nor a smaller model limit says otherwise. */
export const DEFAULT_CONTEXT = 8192;

/** One generation: a conversation (or a raw prompt) and how to continue it. */
export interface GenerationRequest {
  /** The conversation, rendered with the model's chat template. */
  messages?: ChatMessage[];
  /** A prompt fed as is (`--raw`), instead of `messages`. */
  rawPrompt?: string;
  /** Token ids fed as they are (benchmarks), instead of `messages` or `rawPrompt`. */
  promptIds?: number[];
  /** Keep generating through EOS ids (benchmarks need an exact number of decode steps). */
  ignoreEos?: boolean;
  /**
   * Prefill the whole prompt even where it starts like the previous one (benchmarks time the
   * whole prefill). By default the cached rows of a shared prefix are kept, as in a chat.
   */
  freshCache?: boolean;
  /** Sampling settings the caller chose; the rest come from the model's generation_config, then owm's fallbacks. */
  sampling: Partial<SamplingOptions>;
  /** Most tokens to generate. @default up to the context limit (or generation_config's max_new_tokens) */
  maxTokens?: number;
  /** Strings that end generation; they are not part of the output. */
  stop: string[];
  /** `hide` drops `<think>…</think>` from the output. */
  think: 'show' | 'hide';
  /** Cap on prompt + reply tokens. @default min(model context, DEFAULT_CONTEXT) */
  context?: number;
  /** Report each token's log probability and this many alternatives (see `GenerationHooks.onToken`). */
  logprobs?: number;
  /** The shape the reply must take (built by `jsonGrammar` or `toolCallGrammar`). */
  grammar?: GrammarSpec;
  /** Functions offered to the model through its chat template. */
  tools?: readonly ToolDefinition[];
  /** Prompt-lookup decoding (see `TokenPlan.promptLookup`): greedy requests only, same output. */
  promptLookup?: boolean;
}

/** Where a generation reports besides its text. */
export interface GenerationHooks {
  /** Each sampled token, before the text it completes is yielded. */
  onToken?: (token: SampledToken) => void;
  /** The statistics, once the generation ended (read to the end or left early). */
  onDone: (stats: GenerationStats) => void;
}

/** Why generation ended. */
export type StopReason = 'eos' | 'max-tokens' | 'stop-string' | 'context' | 'interrupted';

/** How a generation went. */
export interface GenerationStats {
  promptTokens: number;
  /** Leading prompt tokens the cache already held from the previous generation (not prefilled again). */
  reusedPromptTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  prefillMs: number;
  prefillTokensPerSecond: number;
  decodeMs: number;
  decodeTokensPerSecond: number;
  /** Prompt-lookup drafts checked and accepted, when prompt lookup ran. */
  draftedTokens?: number;
  acceptedDrafts?: number;
  stopReason: StopReason;
  /** The generated token ids, for tests and references. */
  tokenIds: number[];
}


/** The context window: the one asked for (never more than the model's), else the model's capped at the default. */
export function contextLimit(model: TextModel, requested?: number): number {
  const modelContext = model.defaults.contextLength;
  if (requested !== undefined && modelContext !== undefined && requested > modelContext) {
    throw new UsageError(`A context of ${requested} tokens is more than this model's ${modelContext}: ask for ${modelContext} or less.`);
  }
  return requested ?? Math.min(modelContext ?? DEFAULT_CONTEXT, DEFAULT_CONTEXT);
}

/** Encodes the request's prompt: the chat template for messages, as-is for `--raw`. */
export function encodePrompt(model: TextModel, request: GenerationRequest): { ids: number[]; startsInsideThink: boolean } {
  if (request.promptIds !== undefined) return { ids: request.promptIds, startsInsideThink: false };
  if (request.rawPrompt !== undefined) {
    return { ids: model.tokenizer.encode(request.rawPrompt, { addSpecialTokens: true }), startsInsideThink: false };
  }
  const prompt = renderChatTemplate({
    template: model.chatTemplate,
    messages: request.messages ?? [],
    specialTokens: model.tokenizer.specialTokens,
    tools: request.tools,
  });
  return {
    ids: model.tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens }),
    startsInsideThink: prompt.startsInsideThink,
  };
}

/**
 * Generates a reply: encodes the prompt, runs the token loop from `tokens`, and turns its ids into
 * text pieces as they complete (never a broken UTF-8 character), ending early at a stop string.
 */
export async function* generateText(
  model: TextModel,
  request: GenerationRequest,
  tokens: TokenSource,
  hooks: GenerationHooks,
): AsyncGenerator<string> {
  const sampling = resolveSampling(request.sampling, model.defaults.sampling, FALLBACK_SAMPLING);
  const limit = contextLimit(model, request.context);
  const { ids: promptIds, startsInsideThink } = encodePrompt(model, request);
  if (promptIds.length >= limit) {
    const modelContext = model.defaults.contextLength;
    throw new RuntimeError(
      `The prompt has ${promptIds.length} tokens but the context is ${limit}${modelContext && modelContext > limit ? ` (the model supports up to ${modelContext}: raise it with --context)` : ''}: shorten the prompt.`,
      { code: 'context-overflow' },
    );
  }
  const room = limit - promptIds.length;
  const budget = Math.min(request.maxTokens ?? model.defaults.maxNewTokens ?? Number.POSITIVE_INFINITY, room);
  const streamer = new TextStreamer(model.tokenizer);
  const stops = new StopSequenceMatcher(request.stop);
  // A grammar's output starts at the first token: there is no thinking to hide.
  const think = request.think === 'hide' && !request.grammar ? new ThinkFilter({ startsInside: startsInsideThink }) : undefined;
  const emit = (text: string): string => (think ? think.push(text) : text);
  const generated: number[] = [];
  let stoppedByString = false;

  const stream = tokens({
    promptIds,
    sampling,
    budget,
    eosTokenIds: request.ignoreEos ? [] : model.defaults.eosTokenIds,
    reusePrefix: request.freshCache !== true,
    logprobs: request.logprobs,
    grammar: request.grammar,
    promptLookup: request.promptLookup,
  });
  let completed = false;
  try {
    for await (const token of stream) {
      generated.push(token.id);
      hooks.onToken?.(token);
      const match = stops.push(streamer.push(token.id));
      const piece = emit(match.emit);
      if (piece) yield piece;
      if (match.stopped) {
        stoppedByString = true;
        stream.stop();
        break;
      }
    }
    if (!stoppedByString) {
      const tail = emit(stops.push(streamer.flush()).emit + stops.flush());
      if (tail) yield tail;
    }
    const rest = think?.flush();
    if (rest) yield rest;
    completed = true;
  } finally {
    // A reader that leaves early stops the loop; the statistics are reported all the same.
    if (!completed) stream.stop();
    const run = await stream.stats;
    let stopReason: StopReason = completed ? run.stopReason : 'interrupted';
    if (stoppedByString) stopReason = 'stop-string';
    else if (stopReason === 'max-tokens' && budget === room) stopReason = 'context';
    hooks.onDone({
      promptTokens: promptIds.length,
      reusedPromptTokens: run.reusedTokens,
      generatedTokens: generated.length,
      timeToFirstTokenMs: run.timeToFirstTokenMs,
      prefillMs: run.prefillMs,
      prefillTokensPerSecond: run.prefillMs > 0 ? ((promptIds.length - run.reusedTokens) / run.prefillMs) * 1000 : 0,
      decodeMs: run.decodeMs,
      decodeTokensPerSecond: run.decodeMs > 0 && run.decodeSteps > 0 ? (run.decodeSteps / run.decodeMs) * 1000 : 0,
      ...(run.draftedTokens > 0 ? { draftedTokens: run.draftedTokens, acceptedDrafts: run.acceptedDrafts } : {}),
      stopReason,
      tokenIds: generated,
    });
  }
}
