import { z } from 'zod';

const texts = z.union([z.string(), z.array(z.string()).min(1, 'give at least one text')], {
  error: 'must be a string or a list of strings (owm takes text, not token ids)',
});
const dimensions = z.number().int().positive().optional();
const keepAlive = z.union([z.string(), z.number()]).optional();

/** `POST /v1/embeddings`; unknown fields (`user`) are dropped. */
export const openaiEmbeddingRequest = z.object({
  model: z.string().min(1, 'name a model'),
  input: texts,
  encoding_format: z.enum(['float', 'base64']).default('float'),
  dimensions,
});
export type OpenaiEmbeddingRequest = z.infer<typeof openaiEmbeddingRequest>;

/** Ollama's `POST /api/embed`: like Ollama, texts over the model's positions are cut unless `truncate: false`. */
export const ollamaEmbedRequest = z.object({
  model: z.string().min(1, 'name a model'),
  input: texts,
  truncate: z.boolean().default(true),
  dimensions,
  keep_alive: keepAlive,
});

/** Ollama's older `POST /api/embeddings`: one `prompt`, one `embedding`. */
export const ollamaEmbeddingsRequest = z.object({
  model: z.string().min(1, 'name a model'),
  prompt: z.string(),
  keep_alive: keepAlive,
});
