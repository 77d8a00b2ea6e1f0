import { Option, type Command } from 'commander';
import { numberFlag } from './flag-parsers.js';
import type { SamplingOptions } from '../runtime/sampling/index.js';
import { definedOnly } from '../defined-only.js';
import { UsageError } from '../errors.js';
import type { GrammarSpec } from '../runtime/grammar/index.js';

/** Generation settings a user can give as flags or change in the chat with `/set`. */
export interface GenerationFlags {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  maxTokens?: number;
  context?: number;
  stop?: string[];
  think?: 'show' | 'hide';
  system?: string;
  /** `json` for any JSON object (`text`, or unset, for free text). */
  format?: string;
  /** A JSON Schema file the answer must match. */
  schema?: string;
  /** The grammar `format` or `schema` compiled to (see `outputGrammar`), set before generating. */
  grammar?: GrammarSpec;
  /** Prompt-lookup decoding for greedy answers. */
  promptLookup?: boolean;
}

const isInteger = (value: number): boolean => Number.isInteger(value);

type NumericKey = 'temperature' | 'topK' | 'topP' | 'minP' | 'repeatPenalty' | 'seed' | 'maxTokens' | 'context';

/** Each numeric setting: its chat name (`/set`), its flag, and the rule its value must follow. */
const NUMERIC_SETTINGS: Record<NumericKey, { setting: string; flag: string; check: (value: number) => boolean; rule: string }> = {
  temperature: { setting: 'temperature', flag: '--temperature', check: (v) => v >= 0, rule: 'a number >= 0' },
  topK: { setting: 'top_k', flag: '--top-k', check: (v) => isInteger(v) && v >= 0, rule: 'an integer >= 0' },
  topP: { setting: 'top_p', flag: '--top-p', check: (v) => v > 0 && v <= 1, rule: 'in (0, 1]' },
  minP: { setting: 'min_p', flag: '--min-p', check: (v) => v >= 0 && v <= 1, rule: 'in [0, 1]' },
  repeatPenalty: { setting: 'repeat_penalty', flag: '--repeat-penalty', check: (v) => v > 0, rule: 'a number > 0' },
  seed: { setting: 'seed', flag: '--seed', check: (v) => isInteger(v) && v >= 0, rule: 'an integer >= 0' },
  maxTokens: { setting: 'max_tokens', flag: '--max-tokens', check: (v) => isInteger(v) && v > 0, rule: 'an integer > 0' },
  context: { setting: 'context', flag: '--context', check: (v) => isInteger(v) && v > 0, rule: 'an integer > 0' },
};

/** The parser of a numeric setting's flag. */
function flagParser(key: NumericKey): (raw: string) => number {
  const { flag, check, rule } = NUMERIC_SETTINGS[key];
  return numberFlag(flag, check, rule);
}

/** `--stop`: repeatable, and never empty (an empty stop string would match nothing, silently). */
function stopFlag(value: string, previous: string[] = []): string[] {
  if (value === '') throw new UsageError('--stop needs a non-empty string: leave the flag out to run without stop strings.');
  return [...previous, value];
}

/** Adds the generation flags to `owm run`. */
export function addGenerationOptions(command: Command): Command {
  return command
    .option('--system <text>', 'system prompt')
    .option('--max-tokens <n>', 'most tokens to generate (default: until the model stops or the context is full)', flagParser('maxTokens'))
    .option('--temperature <t>', 'sampling temperature; 0 is greedy (default: the model\'s, else 0.8)', flagParser('temperature'))
    .option('--top-k <k>', 'sample among the k most likely tokens; 0 = off (default 40)', flagParser('topK'))
    .option('--top-p <p>', 'nucleus sampling, in (0, 1] (default 0.95)', flagParser('topP'))
    .option('--min-p <p>', 'drop tokens below p × the top probability, in [0, 1] (default 0.05)', flagParser('minP'))
    .option('--repeat-penalty <r>', 'penalty for repeating recent tokens; 1 = off (default 1)', flagParser('repeatPenalty'))
    .option('--seed <n>', 'random seed: same seed, prompt and model give the same output', flagParser('seed'))
    .option('--stop <string>', 'stop when the model writes this (repeatable; not printed)', stopFlag)
    .option('--context <n>', 'context window in tokens (default: the model\'s, at most 8192)', flagParser('context'))
    .addOption(new Option('--think <mode>', 'show or hide <think>…</think> reasoning of models like DeepSeek-R1').choices(['show', 'hide']).default('show'))
    .addOption(new Option('--format <format>', 'answer with one JSON object, whatever the model would rather write').choices(['json', 'text']))
    .option('--schema <file>', 'answer with JSON matching this JSON Schema file')
    .option('--prompt-lookup', 'greedy answers (--temperature 0): check tokens copied from earlier text in one pass; same output, faster when it repeats its input');
}

/** The sampling settings the user set (flags or `/set`); unset ones are left out. */
export function samplingOverrides(flags: GenerationFlags): Partial<SamplingOptions> {
  const { temperature, topK, topP, minP, repeatPenalty, seed } = flags;
  return definedOnly({ temperature, topK, topP, minP, repeatPenalty, seed });
}

/** Applies `/set <name> <value>` from the chat to the settings; returns what changed, for a confirmation line. */
export function applySetting(flags: GenerationFlags, name: string, value: string): string {
  const key = SETTING_ALIASES[name.toLowerCase()];
  if (!key) throw new UsageError(`Unknown setting '${name}': use one of ${SETTING_NAMES.join(', ')}.`);
  if (key === 'stop') {
    flags.stop = value === '' ? [] : [...(flags.stop ?? []), value];
    return `stop strings: ${JSON.stringify(flags.stop)}`;
  }
  if (key === 'think') {
    if (value !== 'show' && value !== 'hide') throw new UsageError(`think must be show or hide, got ${value}.`);
    flags.think = value;
    return `think: ${value}`;
  }
  const { setting, check, rule } = NUMERIC_SETTINGS[key];
  flags[key] = numberFlag(setting, check, rule)(value);
  return `${setting}: ${flags[key]}`;
}

/**
 * The settings in effect, one per line under the names `/set` takes: what the user set, else the
 * model's generation_config (`modelDefaults`, unknown for a server), else owm's fallback.
 */
export function describeSettings(flags: GenerationFlags, fallback: SamplingOptions, modelDefaults?: Partial<SamplingOptions>): string {
  const sampling = (key: keyof SamplingOptions & NumericKey): string => {
    const own = flags[key];
    if (own !== undefined) return String(own);
    const fromModel = modelDefaults?.[key];
    if (fromModel !== undefined) return `${fromModel} (the model's default)`;
    if (modelDefaults === undefined) return "(the server's default)";
    return key === 'seed' ? '(random)' : `${fallback[key]} (owm's default)`;
  };
  const rows: Array<[string, string]> = [
    ['system', flags.system === undefined ? '(none)' : JSON.stringify(flags.system)],
    ...(['temperature', 'topK', 'topP', 'minP', 'repeatPenalty', 'seed'] as const).map((key): [string, string] => [NUMERIC_SETTINGS[key].setting, sampling(key)]),
    ['max_tokens', flags.maxTokens === undefined ? '(until the model stops or the context is full)' : String(flags.maxTokens)],
    ['context', flags.context === undefined ? "(the model's, at most 8192)" : String(flags.context)],
    ['stop', flags.stop && flags.stop.length > 0 ? flags.stop.map((stop) => JSON.stringify(stop)).join(', ') : '(none)'],
    ['think', flags.think ?? 'show'],
    ['format', flags.schema !== undefined ? `json matching ${flags.schema}` : (flags.format ?? 'text')],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

type SettingKey = NumericKey | 'stop' | 'think';

/** The names `/set` takes: the chat names, and the flags' spellings without dashes. */
const SETTING_ALIASES: Record<string, SettingKey> = {
  ...Object.fromEntries(
    (Object.keys(NUMERIC_SETTINGS) as NumericKey[]).flatMap((key) => [
      [NUMERIC_SETTINGS[key].setting, key],
      [NUMERIC_SETTINGS[key].flag.slice(2), key],
    ]),
  ),
  stop: 'stop',
  think: 'think',
};

const SETTING_NAMES = [...(Object.values(NUMERIC_SETTINGS).map((entry) => entry.setting)), 'stop', 'think', 'format', 'schema'];
