import OpenAI from 'openai';
import { definedOnly } from '../defined-only.js';
import { OwmError } from '../errors.js';
import { networkReason } from '../hub/hub-error.js';
import type { GenerationRequest, GenerationStats, StopReason } from '../runtime/generate-text.js';
import { ANY_JSON_OBJECT_SCHEMA, type GrammarSpec } from '../runtime/grammar/index.js';
import { createGeneration, type GenerateOptions, type Generation, type TextGenerator } from '../runtime/generation.js';
import { ThinkFilter } from '../runtime/think-filter.js';

/** Where a remote model is served. */
export interface RemoteModelOptions {
  /** The server: `http://host:port` (owm serve, llama-server, Ollama), or its OpenAI base URL ending in `/v1`. */
  host: string;
  /** The model name as the server knows it. */
  model: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
}

/** The OpenAI base URL of a host as users write it: `localhost:11470`, `http://gpu-box:8000`, `https://x/v1`. */
export function openaiBaseUrl(host: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`;
  const trimmed = withScheme.replace(/\/+$/, '');
  return trimmed.endsWith('/v1') ? trimmed : `${trimmed}/v1`;
}

/**
 * A model behind any OpenAI-compatible server (owm serve, vLLM, TGI, llama-server, Ollama's /v1),
 * answering the same requests as a local model, streamed: `owm run --host` is a client of it.
 * Only what the user set is sent; the server's own defaults decide the rest.
 */
export class RemoteModel implements TextGenerator {
  private readonly client: OpenAI;

  constructor(private readonly options: RemoteModelOptions) {
    // Retries would hide a refused connection or a full queue behind seconds of waiting.
    this.client = new OpenAI({ baseURL: openaiBaseUrl(options.host), apiKey: options.apiKey ?? 'none', maxRetries: 0 });
  }

  generate(request: GenerationRequest, options: GenerateOptions = {}): Generation {
    // A server's token ids mean nothing here: the generation reports no tokens.
    return createGeneration({ run: (signal, onDone) => this.stream(request, signal, onDone) }, options.signal);
  }

  private async *stream(request: GenerationRequest, signal: AbortSignal, onDone: (stats: GenerationStats) => void): AsyncGenerator<string> {
    const started = performance.now();
    let firstAt = 0;
    let pieceCount = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let interrupted = false;
    const think = request.think === 'hide' ? new ThinkFilter({ startsInside: false }) : undefined;
    try {
      for await (const chunk of await this.open(request, signal)) {
        const choice = chunk.choices[0];
        const piece = choice && ('delta' in choice ? choice.delta?.content : choice.text);
        finish = choice?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
        if (!piece) continue;
        firstAt ||= performance.now();
        pieceCount++;
        const shown = think ? think.push(piece) : piece;
        if (shown) yield shown;
      }
      const rest = think?.flush();
      if (rest) yield rest;
    } catch (error) {
      if (!signal.aborted) throw this.describe(error);
      interrupted = true;
    }
    const ended = performance.now();
    const generated = usage?.completion_tokens ?? pieceCount;
    const decodeMs = firstAt > 0 ? ended - firstAt : 0;
    onDone({
      promptTokens: usage?.prompt_tokens ?? 0,
      reusedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      generatedTokens: generated,
      timeToFirstTokenMs: (firstAt || ended) - started,
      prefillMs: (firstAt || ended) - started,
      prefillTokensPerSecond: 0,
      decodeMs,
      decodeTokensPerSecond: decodeMs > 0 && generated > 1 ? ((generated - 1) / decodeMs) * 1000 : 0,
      stopReason: interrupted ? 'interrupted' : stopReasonOf(finish),
      tokenIds: [],
    });
  }

  /** Starts the streamed request: a chat completion for messages, a completion for a raw prompt. */
  private async open(request: GenerationRequest, signal: AbortSignal): Promise<AsyncIterable<OpenAI.ChatCompletionChunk | OpenAI.Completion>> {
    const { sampling } = request;
    const body = {
      model: this.options.model,
      stream: true as const,
      stream_options: { include_usage: true },
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(request.stop.length > 0 ? { stop: request.stop } : {}),
      ...(request.grammar ? { response_format: responseFormatOf(request.grammar) } : {}),
      ...definedOnly({
        temperature: sampling.temperature,
        top_p: sampling.topP,
        seed: sampling.seed,
        frequency_penalty: sampling.frequencyPenalty,
        presence_penalty: sampling.presencePenalty,
        // Not OpenAI's, but owm serve, llama-server and vLLM read them.
        top_k: sampling.topK,
        min_p: sampling.minP,
        repeat_penalty: sampling.repeatPenalty,
      }),
    };
    if (request.rawPrompt !== undefined) return this.client.completions.create({ ...body, prompt: request.rawPrompt }, { signal });
    return this.client.chat.completions.create({ ...body, messages: (request.messages ?? []) as OpenAI.ChatCompletionMessageParam[] }, { signal });
  }

  /** A one-line error naming the server and what it said. */
  private describe(error: unknown): OwmError {
    const { host } = this.options;
    if (error instanceof OpenAI.APIConnectionError) {
      return new OwmError(`Cannot reach the server at ${host} (${networkReason(error) ?? error.message}): start it, or check --host / OWM_HOST.`, { code: 'unreachable', cause: error });
    }
    if (error instanceof OpenAI.APIError && error.status !== undefined) {
      const said = (error.error as { message?: string } | undefined)?.message ?? error.message;
      const hint = error.status === 401 ? ' Set OWM_API_KEY to the server\'s key.' : '';
      return new OwmError(`The server at ${host} answered ${error.status}: ${said}${hint}`, { code: error.status === 404 ? 'not-found' : 'remote-error', cause: error });
    }
    return new OwmError(`The request to ${host} failed: ${error instanceof Error ? error.message : String(error)}`, { code: 'remote-error', cause: error });
  }
}

/** `--format json` and `--schema` as OpenAI's response_format, which owm serve, vLLM and llama-server enforce. */
function responseFormatOf(grammar: GrammarSpec): OpenAI.ResponseFormatJSONObject | OpenAI.ResponseFormatJSONSchema {
  if (grammar.type !== 'json-schema') throw new Error('only JSON Schema grammars travel to a server');
  if (grammar.schema === JSON.stringify(ANY_JSON_OBJECT_SCHEMA)) return { type: 'json_object' };
  return { type: 'json_schema', json_schema: { name: 'answer', schema: JSON.parse(grammar.schema) as Record<string, unknown>, strict: true } };
}

function stopReasonOf(finish: string | null | undefined): StopReason {
  return finish === 'length' ? 'max-tokens' : 'eos';
}
