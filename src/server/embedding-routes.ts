import { Hono } from 'hono';
import { parseDuration } from '../parse-duration.js';
import type { EmbedOptions, Embeddings } from '../runtime/embedding/embedding-model.js';
import { ollamaEmbeddingsRequest, ollamaEmbedRequest, openaiEmbeddingRequest } from './embedding-schemas.js';
import { readJsonBody } from './read-json-body.js';
import type { ServeContext } from './serve-context.js';

/** Embeddings in both APIs: OpenAI's `/v1/embeddings`, Ollama's `/api/embed` and its older `/api/embeddings`. */
export function embeddingRoutes(context: ServeContext): Hono {
  const app = new Hono();

  app.post('/v1/embeddings', async (c) => {
    const body = openaiEmbeddingRequest.parse(await readJsonBody(c));
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const { embeddings } = await embed(context, body.model, texts, { dimensions: body.dimensions });
    const tokens = sum(embeddings.tokenCounts);
    return c.json({
      object: 'list',
      data: embeddings.vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? float32Base64(vector) : Array.from(vector),
      })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });

  app.post('/api/embed', async (c) => {
    const body = ollamaEmbedRequest.parse(await readJsonBody(c));
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    const { embeddings, loadMs, totalMs } = await embed(context, body.model, texts, { truncate: body.truncate, dimensions: body.dimensions }, body.keep_alive);
    return c.json({
      model: body.model,
      embeddings: embeddings.vectors.map((vector) => Array.from(vector)),
      total_duration: Math.round(totalMs * 1e6),
      load_duration: Math.round(loadMs * 1e6),
      prompt_eval_count: sum(embeddings.tokenCounts),
    });
  });

  app.post('/api/embeddings', async (c) => {
    const body = ollamaEmbeddingsRequest.parse(await readJsonBody(c));
    const { embeddings } = await embed(context, body.model, [body.prompt], {}, body.keep_alive);
    return c.json({ embedding: Array.from(embeddings.vectors[0] as Float32Array) });
  });

  return app;
}

/** Lends the embedding model, embeds, gives it back (with Ollama's `keep_alive` when given). */
async function embed(
  context: ServeContext,
  model: string,
  texts: string[],
  options: EmbedOptions,
  keepAlive?: string | number,
): Promise<{ embeddings: Embeddings; loadMs: number; totalMs: number }> {
  const started = performance.now();
  const keepAliveMs = keepAlive === undefined ? undefined : parseDuration(String(keepAlive));
  const lease = await context.manager.acquireEmbedder(model);
  try {
    const embeddings = await lease.model.embed(texts, options);
    return { embeddings, loadMs: lease.loadMs, totalMs: performance.now() - started };
  } finally {
    lease.release(keepAliveMs);
  }
}

/** The vector as OpenAI's `encoding_format: "base64"` sends it: little-endian float32 bytes. */
function float32Base64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
