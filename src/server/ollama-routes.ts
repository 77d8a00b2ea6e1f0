import path from 'node:path';
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { PullEvent } from '../hub/pull-snapshot.js';
import { describeArchitecture } from '../models/describe-architecture.js';
import { parseDuration } from '../parse-duration.js';
import { pullModel } from '../models/pull-model.js';
import { removePulledModel } from '../models/remove-pulled-model.js';
import { resolveInput } from '../models/resolve-input.js';
import type { GenerationStats } from '../runtime/generate-text.js';
import { loadChatTemplate } from '../runtime/load-chat-template.js';
import { readJsonObject } from '../runtime/read-json-object.js';
import type { ChatMessage } from '../runtime/render-chat-template.js';
import { ANY_JSON_OBJECT_SCHEMA, jsonGrammar, type GrammarSpec } from '../runtime/grammar/index.js';
import { ApiError, toApiError } from './api-error.js';
import { detectToolCallFormat } from '../runtime/tools/index.js';
import { chatDeltas, collectDeltas, type ChatDelta } from './chat-deltas.js';
import { templateToolCalls, toolDefinitionsOf } from './tool-definitions.js';
import { listServedModels, type ServedModel } from './list-served-models.js';
import { ollamaChatRequest, ollamaGenerateRequest, ollamaModelRequest, type OllamaOptions } from './ollama-schemas.js';
import { readJsonBody } from './read-json-body.js';
import type { ServeContext } from './serve-context.js';
import { finishReason, seedOf, startGeneration, type GenerationInput, type StartedGeneration } from './start-generation.js';

/** Ollama's native API (`/api/...`): chat and generate streamed as NDJSON by default, model listing, show, ps, pull and delete. */
export function ollamaRoutes(context: ServeContext): Hono {
  const app = new Hono();

  app.get('/', (c) => c.text('owm is running'));
  app.get('/api/version', (c) => c.json({ version: context.version }));

  app.get('/api/tags', async (c) => c.json({ models: (await listServedModels(context)).map(tagEntry) }));

  app.get('/api/ps', (c) =>
    c.json({
      models: context.manager
        .held()
        .filter((held) => held.model)
        .map((held) => ({
          name: held.name,
          model: held.name,
          size: 0,
          digest: held.found.snapshot?.commit ?? '',
          details: details(held.found.snapshot?.variant),
          // Pinned (preloaded) and busy models have no expiry; Ollama reports a far date for "never".
          expires_at: new Date(held.expiresAt ?? Date.UTC(2318, 0, 1)).toISOString(),
          size_vram: 0,
        })),
    }),
  );

  app.post('/api/show', async (c) => {
    const { model } = ollamaModelRequest.parse(await readJsonBody(c));
    const found = await context.manager.find(model);
    const dir = found.location.dir;
    const [config, genaiConfig] = await Promise.all([readJsonObject(path.join(dir, 'config.json')), readJsonObject(path.join(dir, 'genai_config.json'))]);
    const architecture = describeArchitecture(config, genaiConfig);
    const template = await loadChatTemplate(dir);
    return c.json({
      modelfile: '',
      parameters: '',
      template: template ?? '',
      details: details(found.snapshot?.variant, architecture.modelType),
      model_info: {
        'general.architecture': architecture.modelType ?? 'unknown',
        ...(architecture.contextLength ? { [`${architecture.modelType}.context_length`]: architecture.contextLength } : {}),
        ...(architecture.layers ? { [`${architecture.modelType}.block_count`]: architecture.layers } : {}),
        ...(architecture.hiddenSize ? { [`${architecture.modelType}.embedding_length`]: architecture.hiddenSize } : {}),
      },
      capabilities: ['completion', ...(detectToolCallFormat(template) ? ['tools'] : [])],
      modified_at: new Date().toISOString(),
    });
  });

  app.post('/api/chat', async (c) => {
    const body = ollamaChatRequest.parse(await readJsonBody(c));
    if (body.messages.length === 0) return loadOnly(c, context, body, { message: { role: 'assistant', content: '' } });
    const messages: ChatMessage[] = body.messages.map((message) => ({
      role: message.role,
      content: message.content,
      ...(message.tool_name ? { name: message.tool_name } : {}),
      ...(message.tool_calls && message.tool_calls.length > 0 ? { tool_calls: templateToolCalls(message.tool_calls) } : {}),
    }));
    const input: GenerationInput = {
      ...(await optionsInput(body)),
      messages,
      ...(body.tools && body.tools.length > 0 ? { tools: { definitions: toolDefinitionsOf(body.tools), choice: 'auto' } } : {}),
    };
    const started = await startGeneration(context, body.model, input, c.req.raw.signal);
    return answer(c, started, body.stream !== false, (delta) => ({
      message: {
        role: 'assistant',
        content: delta.content,
        ...(delta.calls.length > 0 ? { tool_calls: delta.calls.map((call) => ({ function: { name: call.name, arguments: JSON.parse(call.arguments) as unknown } })) } : {}),
      },
    }));
  });

  app.post('/api/generate', async (c) => {
    const body = ollamaGenerateRequest.parse(await readJsonBody(c));
    if (body.prompt === '') return loadOnly(c, context, body, { response: '' });
    const options = await optionsInput(body);
    const input: GenerationInput = body.raw
      ? { ...options, rawPrompt: body.prompt }
      : { ...options, messages: [...(body.system ? [{ role: 'system' as const, content: body.system }] : []), { role: 'user', content: body.prompt }] };
    const started = await startGeneration(context, body.model, input, c.req.raw.signal);
    return answer(c, started, body.stream !== false, (delta) => ({ response: delta.content }));
  });

  app.post('/api/pull', async (c) => {
    const { model, stream: streamed } = ollamaModelRequest.parse(await readJsonBody(c));
    const ref = await resolveInput(model, {}, context.paths);
    const pull = (onEvent?: (event: PullEvent) => void): Promise<unknown> =>
      pullModel({ ref, device: context.device, settings: context.hub, paths: context.paths, acceptLicense: false, onEvent, signal: c.req.raw.signal });
    if (streamed === false) {
      await pull();
      return c.json({ status: 'success' });
    }
    return ndjson(c, async (write) => {
      const progress = pullProgressLines(write);
      await write({ status: 'pulling manifest' });
      await pull(progress.onEvent);
      await progress.flushed();
      await write({ status: 'verifying sha256 digest' });
      await write({ status: 'writing manifest' });
      await write({ status: 'success' });
    });
  });

  app.delete('/api/delete', async (c) => {
    const { model } = ollamaModelRequest.parse(await readJsonBody(c));
    const ref = await resolveInput(model, {}, context.paths);
    await context.manager.unloadRepo(ref.repo);
    await removePulledModel({ model }, context.paths);
    return c.body(null, 200);
  });

  return app;
}

/** Ollama's `format`: `"json"` for any JSON object, or a JSON Schema. */
async function formatGrammar(format: string | Record<string, unknown> | undefined): Promise<GrammarSpec | undefined> {
  if (format === undefined || format === '') return undefined;
  if (format === 'json') return jsonGrammar(ANY_JSON_OBJECT_SCHEMA, 'format');
  if (typeof format === 'string') throw new ApiError(400, `format must be "json" or a JSON Schema object, got ${JSON.stringify(format)}.`, { param: 'format' });
  return jsonGrammar(format, 'format');
}

async function optionsInput({ options = {}, keep_alive, format }: { options?: OllamaOptions; keep_alive?: string | number; format?: string | Record<string, unknown> }): Promise<GenerationInput> {
  return {
    grammar: await formatGrammar(format),
    keepAliveMs: keepAliveOf(keep_alive),
    sampling: {
      temperature: options.temperature,
      topK: options.top_k,
      topP: options.top_p,
      minP: options.min_p,
      repeatPenalty: options.repeat_penalty,
      repeatLastN: options.repeat_last_n,
      presencePenalty: options.presence_penalty,
      frequencyPenalty: options.frequency_penalty,
      seed: seedOf(options.seed),
    },
    // Ollama: -1 is "until the model stops", -2 "until the context is full".
    maxTokens: options.num_predict !== undefined && options.num_predict > 0 ? options.num_predict : undefined,
    stop: options.stop ?? [],
    context: options.num_ctx,
  };
}

/** What Ollama's clients read from a model entry. */
function tagEntry(model: ServedModel): Record<string, unknown> {
  return {
    name: model.name,
    model: model.name,
    modified_at: new Date(model.createdAt * 1000).toISOString(),
    size: model.size,
    digest: model.commit ?? '',
    details: details(model.variant),
  };
}

function details(variant?: string, family?: string): Record<string, unknown> {
  return {
    parent_model: '',
    format: 'onnx',
    family: family ?? '',
    families: family ? [family] : null,
    parameter_size: '',
    quantization_level: variant ?? '',
  };
}

/** Ollama's `keep_alive`: seconds as a number, or a duration such as `5m`; negative keeps the model loaded. */
function keepAliveOf(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(String(value));
}

/**
 * Ollama's answer to an empty prompt: the model is loaded and kept for `keep_alive`, nothing
 * generated; `keep_alive: 0` unloads it (`done_reason: "unload"`).
 */
async function loadOnly(c: Context, context: ServeContext, body: { model: string; keep_alive?: string | number }, empty: Record<string, unknown>): Promise<Response> {
  const keepAliveMs = keepAliveOf(body.keep_alive);
  const lease = await context.manager.acquire(body.model);
  lease.release(keepAliveMs);
  return c.json({ model: body.model, created_at: new Date().toISOString(), ...empty, done: true, done_reason: keepAliveMs === 0 ? 'unload' : 'load' });
}

/** The last object of an answer: why it ended and Ollama's counts and durations (nanoseconds). */
function finalFields(stats: GenerationStats, started: StartedGeneration, totalMs: number): Record<string, unknown> {
  const ns = (ms: number): number => Math.round(ms * 1e6);
  return {
    done: true,
    done_reason: finishReason(stats),
    total_duration: ns(totalMs),
    load_duration: ns(started.loadMs),
    prompt_eval_count: stats.promptTokens,
    prompt_eval_duration: ns(stats.prefillMs),
    eval_count: stats.generatedTokens,
    eval_duration: ns(stats.decodeMs + Math.max(0, stats.timeToFirstTokenMs - stats.prefillMs)),
  };
}

/** Streams an answer as NDJSON (Ollama's default), or sends it whole when `stream` is false. */
async function answer(c: Context, started: StartedGeneration, streamed: boolean, content: (delta: ChatDelta) => Record<string, unknown>): Promise<Response> {
  const began = performance.now();
  const line = (fields: Record<string, unknown>): Record<string, unknown> => ({ model: started.model, created_at: new Date().toISOString(), ...fields });
  const deltas = chatDeltas(started.pieces, started.toolFormat);
  if (!streamed) {
    const whole = await collectDeltas(deltas);
    const stats = await started.stats;
    return c.json(line({ ...content(whole), ...finalFields(stats, started, performance.now() - began) }));
  }
  return ndjson(c, async (write) => {
    for await (const delta of deltas) await write(line({ ...content(delta), done: false }));
    const stats = await started.stats;
    await write(line({ ...content({ content: '', calls: [] }), ...finalFields(stats, started, performance.now() - began) }));
  });
}

type WriteLine = (object: Record<string, unknown>) => Promise<void>;

/** An NDJSON response; an error after the first line travels as a last `{"error": ...}` line, as Ollama sends it. */
function ndjson(c: Context, produce: (write: WriteLine) => Promise<void>): Response {
  c.header('Content-Type', 'application/x-ndjson');
  return stream(
    c,
    async (out) => {
      await produce(async (object) => {
        if (!out.aborted) await out.write(`${JSON.stringify(object)}\n`);
      });
    },
    async (error, out) => {
      await out.write(`${JSON.stringify({ error: toApiError(error).message })}\n`);
    },
  );
}

/** Ollama's pull status lines from owm's pull events, one per file at most every 250 ms; `flushed` waits for the last. */
function pullProgressLines(write: WriteLine): { onEvent: (event: PullEvent) => void; flushed: () => Promise<void> } {
  const sizes = new Map<string, number>();
  const lastSent = new Map<string, number>();
  let chain = Promise.resolve();
  const send = (path: string, completed: number): void => {
    const object = { status: `pulling ${path}`, digest: path, total: sizes.get(path) ?? completed, completed };
    chain = chain.then(() => write(object)).catch(() => {});
  };
  return {
    flushed: () => chain,
    onEvent: (event) => {
      if (event.type === 'plan') {
        for (const file of event.plan.files) sizes.set(file.path, file.size);
      } else if (event.type === 'file-progress') {
        const now = Date.now();
        if (now - (lastSent.get(event.path) ?? 0) < 250) return;
        lastSent.set(event.path, now);
        send(event.path, event.bytesDone);
      } else if (event.type === 'file-done') {
        send(event.path, sizes.get(event.path) ?? 0);
      }
    },
  };
}
