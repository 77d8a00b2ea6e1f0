import readline from 'node:readline';
import { OwmError } from '../errors.js';
import type { Generation, TextGenerator } from '../runtime/generation.js';
import type { ModelInfo } from '../runtime/local-model.js';
import type { ChatMessage } from '../runtime/render-chat-template.js';
import { FALLBACK_SAMPLING } from '../runtime/sampling/index.js';
import { applySetting, describeSettings, type GenerationFlags } from './generation-flags.js';
import { incompleteOutputError } from './incomplete-output.js';
import { outputGrammar } from './output-grammar.js';
import { buildRequest } from './build-request.js';
import { formatGenerationStats } from './ui/generation-stats.js';

const HELP = `Commands:
  /set <name> <value>   change a setting: temperature, top_k, top_p, min_p, repeat_penalty, seed,
                        max_tokens, context, stop (adds a stop string; empty clears), think (show|hide),
                        format (json|text), schema (a JSON Schema file; empty clears)
  /show                 show the settings
  /system <text>        set the system prompt (clears the conversation)
  /clear                forget the conversation
  /bye                  quit (or Ctrl-D)
Multi-line input: end a line with \\ to continue it, or wrap text in """.
Ctrl-C stops an answer; Ctrl-D quits.`;

/**
 * The interactive chat: multi-turn history, multi-line input, slash commands, Ctrl-C to stop an
 * answer without leaving, Ctrl-D to quit. Prompts and notes go to stderr, the model's text to stdout.
 */
export async function runChat(model: TextGenerator, initial: GenerationFlags & { raw?: boolean; verbose?: boolean }, label: string, info?: ModelInfo): Promise<number> {
  const settings: GenerationFlags & { raw?: boolean } = { ...initial, stop: [...(initial.stop ?? [])] };
  let system = initial.system;
  let history: ChatMessage[] = [];
  let generating: Generation | undefined;
  let pending: string[] | undefined;
  let inBlock = false;

  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true, historySize: 200 });
  const note = (text: string): void => {
    process.stderr.write(`${text}\n`);
  };
  const prompt = (): void => {
    rl.setPrompt(pending ? '... ' : '>>> ');
    rl.prompt();
  };
  rl.on('SIGINT', () => {
    if (generating) {
      generating.stop();
      return;
    }
    pending = undefined;
    inBlock = false;
    rl.write(null, { ctrl: true, name: 'u' });
    note('\n(Ctrl-D or /bye to quit)');
    prompt();
  });

  note(`${label} is ready. Type a message, or /? for help.`);
  prompt();
  for await (const line of rl) {
    const text = collectInput(line);
    if (text === undefined) {
      prompt();
      continue;
    }
    if (text.startsWith('/') && !text.startsWith('//')) {
      if (!(await runCommand(text))) break;
      prompt();
      continue;
    }
    if (text.trim() === '') {
      prompt();
      continue;
    }
    const messages: ChatMessage[] = [...(system ? [{ role: 'system' as const, content: system }] : []), ...history, { role: 'user', content: text }];
    // readline keeps reading while the model answers, so Ctrl-C reaches the SIGINT handler above.
    const reply = await answer(messages);
    if (reply !== undefined) history = [...history, { role: 'user', content: text }, { role: 'assistant', content: reply }];
    prompt();
  }
  rl.close();
  return 0;

  /** Joins continued lines; returns the whole input once it is complete. */
  function collectInput(line: string): string | undefined {
    if (inBlock) {
      const end = line.endsWith('"""');
      pending = [...(pending ?? []), end ? line.slice(0, -3) : line];
      if (!end) return undefined;
      inBlock = false;
    } else if (line.startsWith('"""')) {
      const rest = line.slice(3);
      if (rest.endsWith('"""') && rest.length >= 3) return rest.slice(0, -3);
      inBlock = true;
      pending = rest ? [rest] : [];
      return undefined;
    } else if (line.endsWith('\\')) {
      pending = [...(pending ?? []), line.slice(0, -1)];
      return undefined;
    } else {
      pending = [...(pending ?? []), line];
    }
    const whole = pending.join('\n');
    pending = undefined;
    return whole;
  }

  /** Handles a slash command; false means quit. */
  async function runCommand(input: string): Promise<boolean> {
    const [command, ...rest] = input.trim().split(/\s+/);
    const argument = input.trim().slice(command.length).trim();
    try {
      switch (command) {
        case '/bye':
        case '/exit':
          return false;
        case '/clear':
          history = [];
          note('Conversation cleared.');
          break;
        case '/system':
          system = argument || undefined;
          history = [];
          note(system ? 'System prompt set; conversation cleared.' : 'System prompt removed; conversation cleared.');
          break;
        case '/set': {
          const [name, ...value] = rest;
          if (!name) throw new OwmError('Usage: /set <name> <value>');
          note(await applyChatSetting(settings, name, value.join(' ')));
          break;
        }
        case '/show':
          note(describeSettings({ ...settings, system }, FALLBACK_SAMPLING, info ? info.sampling : undefined));
          break;
        case '/?':
        case '/help':
          note(HELP);
          break;
        default:
          note(`Unknown command ${command}: type /? for help.`);
      }
    } catch (error) {
      note(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
    return true;
  }

  /** `/set`: the output shape is compiled (and checked) at once, the other settings as `applySetting` says. */
  async function applyChatSetting(flags: GenerationFlags, name: string, value: string): Promise<string> {
    const key = name.toLowerCase();
    if (key !== 'format' && key !== 'schema') return applySetting(flags, name, value);
    const shape = key === 'format' ? { format: value || undefined } : { schema: value || undefined };
    flags.grammar = await outputGrammar(shape);
    flags.format = shape.format;
    flags.schema = shape.schema;
    if (!flags.grammar) return 'format: text';
    return flags.schema ? `format: json matching ${flags.schema}` : 'format: json';
  }

  /** Streams one answer; returns its text, or undefined when it failed. */
  async function answer(messages: ChatMessage[]): Promise<string | undefined> {
    let text = '';
    try {
      generating = model.generate(buildRequest(settings, messages));
      for await (const piece of generating) {
        text += piece;
        process.stdout.write(piece);
      }
      const stats = await generating.stats;
      process.stdout.write(text.endsWith('\n') ? '\n' : '\n\n');
      const incomplete = settings.grammar ? incompleteOutputError(stats) : undefined;
      if (incomplete) note(`error: ${incomplete.message}`);
      if (initial.verbose) note(formatGenerationStats(stats, info));
      return text;
    } catch (error) {
      note(`\nerror: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      generating = undefined;
    }
  }
}
