import { RuntimeError } from '../errors.js';
import { createSampler, type SamplingOptions } from './create-sampler.js';
import type { LoadedModel } from './load-model-files.js';
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
  sampling: SamplingOptions;
  /** Most tokens to generate. @default up to the context limit (or generation_config's max_new_tokens) */
  maxTokens?: number;
  /** Strings that end generation; they are not part of the output. */
  stop: string[];
  /** `hide` drops `<think>…</think>` from the output. */
  think: 'show' | 'hide';
  /** Cap on prompt + reply tokens. @default min(model context, DEFAULT_CONTEXT) */
  context?: number;
}

/** Why generation ended. */
export type StopReason = 'eos' | 'max-tokens' | 'stop-string' | 'context' | 'interrupted';

/** How a generation went. */
export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  prefillMs: number;
  prefillTokensPerSecond: number;
  decodeMs: number;
  decodeTokensPerSecond: number;
  stopReason: StopReason;
  /** The generated token ids, for tests and references. */
  tokenIds: number[];
}

/** Sampling settings when neither the model nor the user gives one. */
export const FALLBACK_SAMPLING: SamplingOptions = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.0 };

/** The model's context window, capped by `--context` and the default. */
export function contextLimit(model: LoadedModel, requested?: number): number {
  const modelContext = model.defaults.contextLength ?? DEFAULT_CONTEXT;
  return requested ?? Math.min(modelContext, DEFAULT_CONTEXT);
}

/** Encodes the request's prompt: the chat template for messages, as-is for `--raw`. */
export function encodePrompt(model: LoadedModel, request: GenerationRequest): { ids: number[]; startsInsideThink: boolean } {
  if (request.promptIds !== undefined) return { ids: request.promptIds, startsInsideThink: false };
  if (request.rawPrompt !== undefined) {
    return { ids: model.tokenizer.encode(request.rawPrompt, { addSpecialTokens: true }), startsInsideThink: false };
  }
  const prompt = renderChatTemplate({
    template: model.chatTemplate,
    messages: request.messages ?? [],
    specialTokens: model.tokenizer.specialTokens,
  });
  return {
    ids: model.tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens }),
    startsInsideThink: prompt.startsInsideThink,
  };
}

/**
 * Generates a reply: prefill the prompt in one run, then one token per run, sampling each, until
 * an EOS id, a stop string, the token budget, the context limit, or `shouldStop()`. Yields text
 * pieces as they complete (never a broken UTF-8 character); `onDone` receives the statistics.
 */
export async function* generateText(
  model: LoadedModel,
  request: GenerationRequest,
  shouldStop: () => boolean,
  onDone: (stats: GenerationStats) => void,
): AsyncGenerator<string> {
  const limit = contextLimit(model, request.context);
  const { ids: promptIds, startsInsideThink } = encodePrompt(model, request);
  if (promptIds.length >= limit) {
    const modelContext = model.defaults.contextLength;
    throw new RuntimeError(
      `The prompt has ${promptIds.length} tokens but the context is ${limit}${modelContext && modelContext > limit ? ` (the model supports up to ${modelContext}: raise it with --context)` : ''}: shorten the prompt.`,
      { code: 'context-overflow' },
    );
  }
  const budget = Math.min(request.maxTokens ?? model.defaults.maxNewTokens ?? Number.POSITIVE_INFINITY, limit - promptIds.length);
  const eos = new Set(request.ignoreEos ? [] : model.defaults.eosTokenIds);
  const sampler = createSampler(request.sampling);
  const streamer = new TextStreamer(model.tokenizer);
  const stops = new StopSequenceMatcher(request.stop);
  const think = request.think === 'hide' ? new ThinkFilter({ startsInside: startsInsideThink }) : undefined;
  const history = [...promptIds];
  const generated: number[] = [];

  const started = performance.now();
  let firstTokenAt = 0;
  let stopReason: StopReason = 'max-tokens';
  // Room for a typical reply up front; the shared KV buffers double if the reply runs longer.
  model.decoder.reset(promptIds.length + Math.min(budget, 256));
  let logits = await model.decoder.forward(promptIds);
  const prefillMs = performance.now() - started;

  const emit = (text: string): string => (think ? think.push(text) : text);
  while (generated.length < budget) {
    if (shouldStop()) {
      stopReason = 'interrupted';
      break;
    }
    const id = sampler.sample(logits, history);
    if (generated.length === 0) firstTokenAt = performance.now();
    if (eos.has(id)) {
      stopReason = 'eos';
      break;
    }
    generated.push(id);
    history.push(id);
    const match = stops.push(streamer.push(id));
    const piece = emit(match.emit);
    if (piece) yield piece;
    if (match.stopped) {
      stopReason = 'stop-string';
      break;
    }
    if (generated.length >= budget) {
      stopReason = budget === limit - promptIds.length ? 'context' : 'max-tokens';
      break;
    }
    logits = await model.decoder.forward([id]);
  }
  if (stopReason !== 'stop-string') {
    const tail = emit(stops.push(streamer.flush()).emit + stops.flush());
    if (tail) yield tail;
  }
  const rest = think?.flush();
  if (rest) yield rest;

  const ended = performance.now();
  const decodeMs = firstTokenAt > 0 ? ended - firstTokenAt : 0;
  const decodeSteps = Math.max(0, generated.length - 1);
  onDone({
    promptTokens: promptIds.length,
    generatedTokens: generated.length,
    timeToFirstTokenMs: (firstTokenAt || ended) - started,
    prefillMs,
    prefillTokensPerSecond: prefillMs > 0 ? (promptIds.length / prefillMs) * 1000 : 0,
    decodeMs,
    decodeTokensPerSecond: decodeMs > 0 && decodeSteps > 0 ? (decodeSteps / decodeMs) * 1000 : 0,
    stopReason,
    tokenIds: generated,
  });
}
