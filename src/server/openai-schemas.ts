import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });

/** One message of a chat request; text parts are joined, other parts (images, audio) are refused. */
const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(textPart, { error: 'only text content parts are supported' }), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
});

const positiveInt = z.number().int().positive();

/** Fields `/v1/chat/completions` and `/v1/completions` share; unknown fields are dropped, as OpenAI's clients send many. */
const samplingFields = {
  model: z.string().min(1, 'name a model'),
  max_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1, { error: 'owm answers one choice per request: leave n out or set it to 1' }).nullish(),
  user: z.string().optional(),
  // Extensions that llama-server and vLLM accept too.
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repeat_penalty: z.number().gt(0).nullish(),
};

/** `POST /v1/chat/completions`. */
export const chatCompletionRequest = z.object({
  ...samplingFields,
  messages: z.array(chatMessage).min(1, 'give at least one message'),
  max_completion_tokens: positiveInt.nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  tools: z.array(z.unknown()).nullish(),
  tool_choice: z.unknown().optional(),
  response_format: z.object({ type: z.string() }).loose().nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

/** `POST /v1/completions`: one prompt, fed as it is. */
export const completionRequest = z.object({
  ...samplingFields,
  prompt: z.union([z.string(), z.array(z.string()).length(1, 'owm completes one prompt per request')]),
  echo: z.boolean().nullish(),
  logprobs: z.number().int().min(0).max(20).nullish(),
  suffix: z.string().nullish(),
});
export type CompletionRequest = z.infer<typeof completionRequest>;
