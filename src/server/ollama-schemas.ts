import { z } from 'zod';

/** Ollama's `options`: the ones owm runs with; the rest (num_gpu, mirostat, ...) are ignored, as unknown fields are. */
export const ollamaOptions = z.object({
  temperature: z.number().min(0).optional(),
  top_k: z.number().int().min(0).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  min_p: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  num_predict: z.number().int().optional(),
  num_ctx: z.number().int().positive().optional(),
  stop: z.array(z.string()).optional(),
  repeat_penalty: z.number().gt(0).optional(),
  repeat_last_n: z.number().int().min(-1).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
});
export type OllamaOptions = z.infer<typeof ollamaOptions>;

const shared = {
  model: z.string().min(1, 'name a model'),
  stream: z.boolean().optional(),
  options: ollamaOptions.optional(),
  /** `"json"` for any JSON object, or a JSON Schema object. */
  format: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
};

/** `POST /api/chat`. */
export const ollamaChatRequest = z.object({
  ...shared,
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant', 'tool']),
        content: z.string().default(''),
        images: z.array(z.string()).max(0, 'owm runs text models only: send no images').optional(),
        tool_name: z.string().optional(),
        tool_calls: z.array(z.object({ function: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()) }) })).optional(),
      }),
    )
    .default([]),
  tools: z
    .array(
      z.object({
        type: z.literal('function', { error: 'owm offers function tools only' }),
        function: z.object({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }),
      }),
    )
    .optional(),
});
export type OllamaChatRequest = z.infer<typeof ollamaChatRequest>;

/** `POST /api/generate`. */
export const ollamaGenerateRequest = z.object({
  ...shared,
  prompt: z.string().default(''),
  system: z.string().optional(),
  raw: z.boolean().optional(),
  images: z.array(z.string()).max(0, 'owm runs text models only: send no images').optional(),
});
export type OllamaGenerateRequest = z.infer<typeof ollamaGenerateRequest>;

/** `POST /api/show`, `DELETE /api/delete`, `POST /api/pull`: a model by `model` (or the older `name`). */
export const ollamaModelRequest = z
  .object({ model: z.string().min(1).optional(), name: z.string().min(1).optional(), stream: z.boolean().optional() })
  .refine((body) => body.model ?? body.name, { message: 'name a model', path: ['model'] })
  .transform((body) => ({ model: (body.model ?? body.name) as string, stream: body.stream }));
