import type { ChatMessage } from '../runtime/render-chat-template.js';
import type { ToolDefinition } from '../runtime/tools/index.js';

/** A function tool as both APIs send it. */
export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** The tools' functions; a function without parameters takes an empty object. */
export function toolDefinitionsOf(tools: readonly FunctionTool[]): ToolDefinition[] {
  return tools.map(({ function: fn }) => ({
    name: fn.name,
    ...(fn.description !== undefined ? { description: fn.description } : {}),
    parameters: fn.parameters ?? { type: 'object', properties: {} },
  }));
}

/**
 * Calls an assistant made, for the chat template: arguments as objects (templates print them with
 * `tojson`); OpenAI sends them as JSON text, Ollama as objects. Ids are made up when a client has none.
 */
export function templateToolCalls(calls: ReadonlyArray<{ id?: string; function: { name: string; arguments: unknown } }>): ChatMessage['tool_calls'] {
  return calls.map((call, index) => ({
    id: call.id ?? `call_${index}`,
    type: 'function',
    function: { name: call.function.name, arguments: typeof call.function.arguments === 'string' ? parseArguments(call.function.arguments) : call.function.arguments },
  }));
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
