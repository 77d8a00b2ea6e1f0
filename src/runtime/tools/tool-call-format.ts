import { randomBytes } from 'node:crypto';

/** Where a call starts in the output text; `partOfBody` when the marker is the body's own first characters. */
export interface CallMarker {
  text: string;
  partOfBody: boolean;
}

/**
 * How one family of chat templates has the model write tool calls: the text that opens a call
 * (and closes it, or not: then the call runs to the end of the output), how its body reads, and
 * the begin/end strings around the arguments that the grammar forces.
 */
export interface ToolCallFormat {
  name: 'hermes' | 'llama3' | 'mistral';
  /** What the streaming parser looks for in the decoded text (special tokens are not in it). */
  opens: readonly CallMarker[];
  /** The text that ends a call; undefined when a call runs to the end of the output. */
  close?: string;
  /** The calls one body holds: `{name, arguments}` objects. */
  parseBody(body: string): Array<{ name: string; arguments: unknown }>;
  /** The grammar: what a call of `name` starts with before its arguments, and ends with after. */
  callBegin(name: string): string;
  callEnd: string;
  /** Where the grammar's free text turns into a call (a prefix of every `callBegin`). */
  trigger: string;
  /** Separator between calls when several are required; undefined when the family makes one call per reply. */
  separator?: string;
  /** Special tokens the grammar writes as text. */
  literalTokens: string[];
  /** A fresh call id in the form the family's template accepts. */
  newCallId(): string;
}

const json = (text: string): unknown => JSON.parse(text.trim());

/** `{"name": ..., "arguments"|"parameters": ...}` objects, alone or in a list. */
function callsOf(value: unknown): Array<{ name: string; arguments: unknown }> {
  const list = Array.isArray(value) ? value : [value];
  return list.map((call) => {
    const { name, arguments: args, parameters } = (call ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string') throw new Error('a tool call without a name');
    return { name, arguments: args ?? parameters ?? {} };
  });
}

const openAiStyleId = (): string => `call_${randomBytes(12).toString('hex')}`;

/** Qwen 2.5/3, Hermes, and the many templates that copied them: `<tool_call>{json}</tool_call>`. */
const HERMES: ToolCallFormat = {
  name: 'hermes',
  opens: [{ text: '<tool_call>', partOfBody: false }],
  close: '</tool_call>',
  parseBody: (body) => callsOf(json(body)),
  callBegin: (name) => `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": `,
  callEnd: '}\n</tool_call>',
  trigger: '<tool_call>',
  separator: '\n',
  literalTokens: [],
  newCallId: openAiStyleId,
};

/** Llama 3.1+: the whole reply is `{"name": ..., "parameters": {...}}`. */
const LLAMA3: ToolCallFormat = {
  name: 'llama3',
  opens: [{ text: '{"name"', partOfBody: true }],
  parseBody: (body) => body.split(/;\s*(?=\{)/).flatMap((part) => callsOf(json(part))),
  callBegin: (name) => `{"name": ${JSON.stringify(name)}, "parameters": `,
  callEnd: '}',
  trigger: '{"name": ',
  separator: '; ',
  literalTokens: [],
  newCallId: openAiStyleId,
};

/** Mistral v3 templates: `[TOOL_CALLS]` (a special token, so absent from the text) then a JSON list. */
const MISTRAL: ToolCallFormat = {
  name: 'mistral',
  opens: [
    { text: '[TOOL_CALLS]', partOfBody: false },
    { text: '[{"name"', partOfBody: true },
  ],
  parseBody: (body) => callsOf(json(body)),
  callBegin: (name) => `[TOOL_CALLS][{"name": ${JSON.stringify(name)}, "arguments": `,
  callEnd: '}]',
  trigger: '[TOOL_CALLS]',
  literalTokens: ['[TOOL_CALLS]'],
  // Mistral's template refuses ids that are not 9 letters or digits.
  newCallId: () => randomBytes(16).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 9).padEnd(9, '0'),
};

/**
 * The tool-call format a chat template teaches, or undefined when it takes no tools (then a
 * request with tools is refused rather than silently ignored).
 */
export function detectToolCallFormat(template: string | null): ToolCallFormat | undefined {
  if (!template || !/\btools\b/.test(template)) return undefined;
  if (template.includes('<tool_call>')) return HERMES;
  if (template.includes('[TOOL_CALLS]')) return MISTRAL;
  if (template.includes('<|python_tag|>') || template.includes('ipython')) return LLAMA3;
  return undefined;
}
