/** A function the model may call, as OpenAI's `tools[].function` and Ollama's describe it. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** A JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** Which calls the model may or must make: OpenAI's `tool_choice`. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** A call parsed from the model's output. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, as OpenAI's `function.arguments` carries them. */
  arguments: string;
}
