import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });

/** A call an assistant message made, as the client sends the conversation back. */
const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** One message of a chat request; text parts are joined, other parts (images, audio) are refused. */
const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(textPart, { error: 'only text content parts are supported' }), z.null()]).optional(),
  name: z.string().optional(),
  tool_call_id: z.string().optional(),
  tool_calls: z.array(toolCall).nullish(),
});

/** A function the model may call. */
const functionTool = z.object({
  type: z.literal('function', { error: 'owm offers function tools only' }),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a function name is 1 to 64 letters, digits, _ or -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

/** `response_format`: free text, any JSON object, or JSON matching a schema. */
const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormat>;

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
  tools: z.array(functionTool).nullish(),
  tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
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
