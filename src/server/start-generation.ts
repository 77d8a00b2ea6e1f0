import { OwmError } from '../errors.js';
import type { GrammarSpec } from '../runtime/grammar/index.js';
import { detectToolCallFormat, toolCallGrammar, type ToolCallFormat, type ToolChoice, type ToolDefinition } from '../runtime/tools/index.js';
import { ApiError } from './api-error.js';
import type { ServeContext } from './serve-context.js';
import type { SamplingOptions } from '../runtime/sampling/index.js';
import type { GenerationStats } from '../runtime/generate-text.js';
import type { SampledToken } from '../runtime/generate-tokens.js';
import type { ModelInfo } from '../runtime/local-model.js';
import type { ChatMessage } from '../runtime/render-chat-template.js';

/** A generation as both APIs ask for one, before the model's defaults are known. */
export interface GenerationInput {
  /** The conversation, rendered with the model's chat template... */
  messages?: ChatMessage[];
  /** ...or a prompt fed as it is. */
  rawPrompt?: string;
  sampling: Partial<SamplingOptions>;
  maxTokens?: number;
  stop: string[];
  /** Prompt and reply tokens at most; capped at the model's own context. */
  context?: number;
  /** Report log probabilities with this many alternatives per token. */
  logprobs?: number;
  /** How long the model stays loaded once idle after this request (Ollama's `keep_alive`), in ms. */
  keepAliveMs?: number;
  /** The shape the reply must take (`response_format`, Ollama's `format`). */
  grammar?: GrammarSpec;
  /** Functions the model may call, and whether it must. */
  tools?: { definitions: ToolDefinition[]; choice: ToolChoice; single?: boolean };
}

/** A generation that has produced its first piece (or ended): errors before that became HTTP errors. */
export interface StartedGeneration {
  /** The name the model is known by. */
  model: string;
  info: ModelInfo;
  /** The text pieces, first one included; the model is given back when they end or are left. */
  pieces: AsyncIterable<string>;
  /** The tokens sampled so far (with log probabilities when asked), growing as pieces come. */
  tokens: readonly SampledToken[];
  /** The text of one token, for log probabilities. */
  tokenText(id: number): string;
  stats: Promise<GenerationStats>;
  /** Time this request spent loading the model (0 when it was loaded). */
  loadMs: number;
  /** How the model writes tool calls, when the request offered tools. */
  toolFormat?: ToolCallFormat;
}

/**
 * Lends the model, starts the generation and waits for its first piece, so that everything that
 * can fail for the request's own reasons (an unknown model, a bad value, a prompt over the context,
 * a full queue) fails before a response is started. `signal` (the client going away) stops it.
 */
export async function startGeneration(context: ServeContext, modelName: string, input: GenerationInput, signal: AbortSignal): Promise<StartedGeneration> {
  const lease = await context.manager.acquire(modelName);
  try {
    const { model } = lease;
    const modelContext = model.info.contextLength;
    const offered = input.tools && input.tools.definitions.length > 0 && input.tools.choice !== 'none' ? input.tools : undefined;
    const toolFormat = offered ? toolFormatOf(model.textModel.chatTemplate, lease.name) : undefined;
    if (offered && input.grammar) {
      throw new ApiError(400, 'response_format and tools cannot be combined: owm constrains a reply to one of them. Leave one out, or set tool_choice to none.', { param: 'response_format' });
    }
    const grammar = toolFormat && offered ? await toolCallGrammar(toolFormat, offered.definitions, offered.choice, offered.single) : input.grammar;
    const generation = model.generate(
      {
        ...(input.rawPrompt !== undefined ? { rawPrompt: input.rawPrompt } : { messages: input.messages ?? [] }),
        sampling: input.sampling,
        maxTokens: input.maxTokens,
        stop: input.stop.filter((stop) => stop !== ''),
        think: 'show',
        context: input.context !== undefined && modelContext !== undefined ? Math.min(input.context, modelContext) : input.context,
        logprobs: input.logprobs,
        grammar,
        tools: offered?.definitions,
        promptLookup: context.promptLookup,
      },
      { signal },
    );
    void generation.stats.then(
      ({ draftedTokens, acceptedDrafts }) => {
        if (draftedTokens) context.log(`prompt lookup (${lease.name}): ${acceptedDrafts} of ${draftedTokens} drafted tokens accepted`);
      },
      () => undefined,
    );
    const iterator = generation[Symbol.asyncIterator]();
    const first = await iterator.next();
    async function* pieces(): AsyncGenerator<string> {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
        lease.release(input.keepAliveMs);
      }
    }
    const { tokenizer } = model.textModel;
    return {
      model: lease.name,
      info: model.info,
      pieces: pieces(),
      tokens: generation.tokens,
      tokenText: (id) => tokenizer.decode([id]),
      stats: generation.stats,
      loadMs: lease.loadMs,
      toolFormat,
    };
  } catch (error) {
    lease.release();
    throw error;
  }
}

/** A request's seed for owm's generator, which takes 32 bits: both APIs accept any integer, negative ones too. */
export function seedOf(seed: number | null | undefined): number | undefined {
  return seed === undefined || seed === null ? undefined : ((seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

/** The OpenAI finish reason of a generation; `tool_calls` when it ended with calls to make. */
export function finishReason(stats: GenerationStats, calledTools = false): 'stop' | 'length' | 'tool_calls' {
  if (stats.stopReason === 'max-tokens' || stats.stopReason === 'context') return 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

/** The tool-call format of a model's template; a 400 naming the model when it takes no tools. */
function toolFormatOf(template: string | null, modelName: string): ToolCallFormat {
  const format = detectToolCallFormat(template);
  if (format) return format;
  throw new OwmError(`${modelName} cannot call tools: its chat template takes no tools. Leave tools out, or use a model whose template has them (Qwen 2.5/3, Llama 3.1+, Mistral).`, { code: 'tools-unsupported' });
}
