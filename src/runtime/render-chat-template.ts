import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { RuntimeError, describeError } from '../errors.js';
import type { ToolDefinition } from './tools/tool-types.js';

/** One turn of a conversation. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** For a `tool` message: the call it answers. */
  tool_call_id?: string;
  /** For a `tool` message: the function that was called. */
  name?: string;
  /** For an `assistant` message: the calls it made, arguments parsed (templates print them with `tojson`). */
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: unknown } }>;
}

/** What `renderChatTemplate` needs. */
export interface RenderChatTemplateParams {
  /** The Jinja source from `loadChatTemplate`; null renders plain text (base models). */
  template: string | null;
  messages: readonly ChatMessage[];
  /** The tokenizer's named special tokens (`bos_token`, `eos_token`, ...), visible to the template. */
  specialTokens: Readonly<Record<string, string>>;
  /** End with the header that opens the assistant's turn. @default true */
  addGenerationPrompt?: boolean;
  /** Functions the model may call, for templates that take `tools`. */
  tools?: readonly ToolDefinition[];
  /** More template variables, e.g. `{ enable_thinking: false }` for Qwen 3. */
  variables?: Readonly<Record<string, unknown>>;
  /** The clock behind `strftime_now` (Llama 3.x puts today's date in the system prompt). @default the system clock */
  now?: () => Date;
}

/** A prompt ready to encode. */
export interface ChatPrompt {
  text: string;
  /** `template`: rendered by the model's chat template; `plain`: no template, contents joined by blank lines. */
  format: 'template' | 'plain';
  /**
   * The `addSpecialTokens` to encode `text` with: false for templates, which write their own BOS
   * (as transformers tokenizes them), true for plain text.
   */
  addSpecialTokens: boolean;
  /** The prompt leaves an open `<think>` block (DeepSeek-R1 distills), so the reply starts inside it. */
  startsInsideThink: boolean;
}

/** Renders a conversation into the prompt text the model was trained on. */
export function renderChatTemplate(params: RenderChatTemplateParams): ChatPrompt {
  const { template, messages } = params;
  if (template === null) {
    return {
      text: messages.map((message) => message.content).join('\n\n'),
      format: 'plain',
      addSpecialTokens: true,
      startsInsideThink: false,
    };
  }
  let compiled: Template;
  try {
    compiled = new Template(template);
  } catch (error) {
    throw new RuntimeError(`The model's chat template does not parse: ${describeError(error)}.`, {
      cause: error,
      code: 'bad-chat-template',
    });
  }
  const now = params.now ?? (() => new Date());
  const variables: Record<string, unknown> = {
    ...JINJA_GLOBALS,
    raise_exception: raiseException,
    strftime_now: (format: unknown) => strftime(now(), String(format)),
    // transformers passes these as None; templates test `tools is not none`.
    tools: params.tools && params.tools.length > 0 ? params.tools.map((tool) => ({ type: 'function', function: tool })) : null,
    documents: null,
    ...params.specialTokens,
    ...params.variables,
    messages: messages.map(({ role, content, tool_call_id, name, tool_calls }) => ({
      role,
      content,
      ...(tool_call_id ? { tool_call_id } : {}),
      ...(name ? { name } : {}),
      ...(tool_calls && tool_calls.length > 0 ? { tool_calls } : {}),
    })),
    add_generation_prompt: params.addGenerationPrompt ?? true,
  };
  let text: string;
  try {
    // Template.render would declare the library's own raise_exception and strftime_now first
    // and refuse ours, so the globals are set up here.
    const environment = new Environment();
    for (const [name, value] of Object.entries(variables)) environment.set(name, value);
    text = String(new Interpreter(environment).run(compiled.parsed).value);
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`The model's chat template failed: ${describeError(error)}.`, {
      cause: error,
      code: 'bad-chat-template',
    });
  }
  return {
    text,
    format: 'template',
    addSpecialTokens: false,
    startsInsideThink: /<think>\s*$/.test(text),
  };
}

/** The globals @huggingface/jinja's Template.render sets up, less the two helpers owm provides. */
const JINJA_GLOBALS: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
  range: jinjaRange,
};

function jinjaRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() step must not be zero');
  const values: number[] = [];
  for (let value = start; step > 0 ? value < stop : value > stop; value += step) values.push(value);
  return values;
}

/** What templates call to refuse a conversation (e.g. roles that do not alternate). */
function raiseException(message: unknown): never {
  throw new RuntimeError(`The model's chat template rejected the conversation: ${String(message)}`, {
    code: 'chat-template-rejected',
  });
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's `strftime` in the C locale (English names, local time), for the directives templates use. */
function strftime(date: Date, format: string): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const hour12 = date.getHours() % 12 || 12;
  const directives: Record<string, string> = {
    Y: String(date.getFullYear()),
    y: pad(date.getFullYear() % 100),
    m: pad(date.getMonth() + 1),
    d: pad(date.getDate()),
    B: MONTHS[date.getMonth()] as string,
    b: (MONTHS[date.getMonth()] as string).slice(0, 3),
    A: DAYS[date.getDay()] as string,
    a: (DAYS[date.getDay()] as string).slice(0, 3),
    H: pad(date.getHours()),
    I: pad(hour12),
    M: pad(date.getMinutes()),
    S: pad(date.getSeconds()),
    p: date.getHours() < 12 ? 'AM' : 'PM',
    '%': '%',
  };
  return format.replace(/%(.)/g, (match, directive: string) => directives[directive] ?? match);
}
