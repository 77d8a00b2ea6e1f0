import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { GenerationStats } from '../runtime/generate-text.js';
import type { ChatMessage } from '../runtime/render-chat-template.js';
import type { SampledToken } from '../runtime/generate-tokens.js';
import { toApiError } from './api-error.js';
import { ANY_JSON_OBJECT_SCHEMA, jsonGrammar, type GrammarSpec } from '../runtime/grammar/index.js';
import type { ToolCall, ToolChoice } from '../runtime/tools/index.js';
import { chatDeltas, collectDeltas } from './chat-deltas.js';
import { templateToolCalls, toolDefinitionsOf } from './tool-definitions.js';
import { listServedModels } from './list-served-models.js';
import { chatLogprobs, completionLogprobs } from './openai-logprobs.js';
import { chatCompletionRequest, completionRequest, type ChatCompletionRequest, type CompletionRequest, type ResponseFormat } from './openai-schemas.js';
import { readJsonBody } from './read-json-body.js';
import type { ServeContext } from './serve-context.js';
import { finishReason, seedOf, startGeneration, type GenerationInput, type StartedGeneration } from './start-generation.js';

/** The OpenAI API (`/v1/...`): models, chat completions and completions, plain or streamed as SSE. */
export function openaiRoutes(context: ServeContext): Hono {
  const app = new Hono();

  app.get('/models', async (c) => {
    const models = await listServedModels(context);
    return c.json({ object: 'list', data: models.map((model) => modelObject(model.name, model.createdAt)) });
  });

  app.get('/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const model = (await listServedModels(context)).find((candidate) => candidate.name === id);
    if (model) return c.json(modelObject(model.name, model.createdAt));
    // Any name the manager resolves (a registry name of a pulled repo, `org/name:variant`) exists too.
    await context.manager.find(id);
    return c.json(modelObject(id, Math.floor(Date.now() / 1000)));
  });

  app.post('/chat/completions', async (c) => {
    const body = chatCompletionRequest.parse(await readJsonBody(c));
    const logprobs = body.logprobs ? (body.top_logprobs ?? 0) : undefined;
    const started = await startGeneration(context, body.model, { ...(await chatInput(body)), logprobs }, c.req.raw.signal);
    const reply = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const logprobsOf = (tokens: readonly SampledToken[]): Record<string, unknown> | null =>
      logprobs === undefined ? null : chatLogprobs(tokens, started.tokenText);
    const deltas = chatDeltas(started.pieces, started.toolFormat);
    let callCount = 0;
    if (body.stream) {
      return streamChoices(c, deltas, started, body.stream_options?.include_usage === true, (delta, index, tokens) => {
        const toolCalls = delta.calls.map((call) => ({ index: callCount++, ...openAiToolCall(call) }));
        return chunk(reply, 'chat.completion.chunk', {
          index: 0,
          delta: {
            ...(index === 0 ? { role: 'assistant' } : {}),
            ...(delta.content || toolCalls.length === 0 ? { content: delta.content } : {}),
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: logprobsOf(tokens),
          finish_reason: null,
        });
      }, (stats) => chunk(reply, 'chat.completion.chunk', { index: 0, delta: {}, logprobs: null, finish_reason: finishReason(stats, callCount > 0) }));
    }
    const { content, calls } = await collectDeltas(deltas);
    const stats = await started.stats;
    const message = {
      role: 'assistant',
      content: calls.length > 0 && content.trim() === '' ? null : content,
      refusal: null,
      ...(calls.length > 0 ? { tool_calls: calls.map(openAiToolCall) } : {}),
    };
    return c.json({
      ...reply,
      object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: logprobsOf(started.tokens), finish_reason: finishReason(stats, calls.length > 0) }],
      usage: usage(stats),
    });
  });

  app.post('/completions', async (c) => {
    const body = completionRequest.parse(await readJsonBody(c));
    const prompt = typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] as string);
    const logprobs = body.logprobs ?? undefined;
    const started = await startGeneration(context, body.model, { ...samplingInput(body), rawPrompt: prompt, logprobs }, c.req.raw.signal);
    const reply = { id: `cmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model };
    const echoed = body.echo ? prompt : '';
    if (body.stream) {
      let offset = echoed.length;
      return streamChoices(c, started.pieces, started, body.stream_options?.include_usage === true, (piece, index, tokens) => {
        const text = index === 0 ? echoed + piece : piece;
        const chunkLogprobs = logprobs === undefined ? null : completionLogprobs(tokens, started.tokenText, offset);
        offset += piece.length;
        return chunk(reply, 'text_completion', { index: 0, text, logprobs: chunkLogprobs, finish_reason: null });
      }, (stats) => chunk(reply, 'text_completion', { index: 0, text: '', logprobs: null, finish_reason: finishReason(stats) }));
    }
    const { text, stats } = await readAll(started);
    return c.json({
      ...reply,
      object: 'text_completion',
      choices: [
        {
          index: 0,
          text: echoed + text,
          logprobs: logprobs === undefined ? null : completionLogprobs(started.tokens, started.tokenText, echoed.length),
          finish_reason: finishReason(stats),
        },
      ],
      usage: usage(stats),
    });
  });

  return app;
}

function modelObject(id: string, created: number): Record<string, unknown> {
  return { id, object: 'model', created, owned_by: 'owm' };
}

/** `response_format` as a grammar: any JSON object, or JSON matching the schema. */
async function responseGrammar(format: ResponseFormat | null | undefined): Promise<GrammarSpec | undefined> {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return jsonGrammar(ANY_JSON_OBJECT_SCHEMA, 'response_format');
  return jsonGrammar(format.json_schema.schema ?? ANY_JSON_OBJECT_SCHEMA, 'response_format.json_schema.schema');
}

function toolChoiceOf(choice: ChatCompletionRequest['tool_choice']): ToolChoice {
  if (!choice) return 'auto';
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

function openAiToolCall(call: ToolCall): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

function samplingInput(body: ChatCompletionRequest | CompletionRequest): GenerationInput {
  return {
    sampling: {
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      topK: body.top_k ?? undefined,
      minP: body.min_p ?? undefined,
      repeatPenalty: body.repeat_penalty ?? undefined,
      frequencyPenalty: body.frequency_penalty ?? undefined,
      presencePenalty: body.presence_penalty ?? undefined,
      seed: seedOf(body.seed),
    },
    maxTokens: ('max_completion_tokens' in body ? body.max_completion_tokens : undefined) ?? body.max_tokens ?? undefined,
    stop: body.stop === undefined || body.stop === null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
  };
}

async function chatInput(body: ChatCompletionRequest): Promise<GenerationInput> {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    // `developer` is the newer name of `system`; chat templates know only the latter.
    role: message.role === 'developer' ? 'system' : message.role,
    content: typeof message.content === 'string' ? message.content : (message.content ?? []).map((part) => part.text).join(''),
    ...(message.tool_call_id ? { tool_call_id: message.tool_call_id } : {}),
    ...(message.name ? { name: message.name } : {}),
    ...(message.tool_calls && message.tool_calls.length > 0 ? { tool_calls: templateToolCalls(message.tool_calls) } : {}),
  }));
  return {
    ...samplingInput(body),
    messages,
    grammar: await responseGrammar(body.response_format),
    ...(body.tools && body.tools.length > 0 ? { tools: { definitions: toolDefinitionsOf(body.tools), choice: toolChoiceOf(body.tool_choice), single: body.parallel_tool_calls === false } } : {}),
  };
}

function chunk(reply: { id: string; created: number; model: string }, object: string, choice: Record<string, unknown>): Record<string, unknown> {
  return { ...reply, object, choices: [choice] };
}

function usage(stats: GenerationStats): Record<string, unknown> {
  return {
    prompt_tokens: stats.promptTokens,
    completion_tokens: stats.generatedTokens,
    total_tokens: stats.promptTokens + stats.generatedTokens,
    prompt_tokens_details: { cached_tokens: stats.reusedPromptTokens },
  };
}

async function readAll(started: StartedGeneration): Promise<{ text: string; stats: GenerationStats }> {
  let text = '';
  for await (const piece of started.pieces) text += piece;
  return { text, stats: await started.stats };
}

/**
 * Streams a generation as OpenAI's clients parse it: one `data:` event per piece, a last chunk
 * with the finish reason, a usage chunk when asked for (the others then carry `usage: null`), and
 * `data: [DONE]`. A client that goes away stops the generation within a step.
 */
function streamChoices<T>(
  c: Context,
  items: AsyncIterable<T>,
  started: StartedGeneration,
  includeUsage: boolean,
  /** The chunk of one item; `tokens` are those sampled since the previous item. */
  itemChunk: (item: T, index: number, tokens: readonly SampledToken[]) => Record<string, unknown>,
  finalChunk: (stats: GenerationStats) => Record<string, unknown>,
): Response {
  const withUsage = (data: Record<string, unknown>): string => JSON.stringify(includeUsage ? { ...data, usage: null } : data);
  return streamSSE(c, async (stream) => {
    let index = 0;
    let tokensSent = 0;
    const iterator = items[Symbol.asyncIterator]();
    stream.onAbort(() => void iterator.return?.());
    for (let next = await iterator.next(); !next.done && !stream.aborted; next = await iterator.next()) {
      const tokens = started.tokens.slice(tokensSent);
      tokensSent = started.tokens.length;
      await stream.writeSSE({ data: withUsage(itemChunk(next.value, index++, tokens)) });
    }
    if (stream.aborted) return;
    const stats = await started.stats;
    await stream.writeSSE({ data: withUsage(finalChunk(stats)) });
    if (includeUsage) {
      const { choices: _choices, ...rest } = finalChunk(stats);
      await stream.writeSSE({ data: JSON.stringify({ ...rest, choices: [], usage: usage(stats) }) });
    }
    await stream.writeSSE({ data: '[DONE]' });
  }, async (error, stream) => {
    // Headers are gone: the error travels as an event, which OpenAI's clients raise.
    const { message } = toApiError(error);
    await stream.writeSSE({ data: JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } }) });
  });
}
