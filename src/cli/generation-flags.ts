import { InvalidArgumentError, Option, type Command } from 'commander';
import type { SamplingOptions } from '../runtime/create-sampler.js';
import { definedOnly } from '../defined-only.js';
import { UsageError } from '../errors.js';

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
}

function numberParser(flag: string, check: (value: number) => boolean, rule: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) {
      throw new InvalidArgumentError(`${flag} must be ${rule}, got ${raw}`);
    }
    return value;
  };
}

const isInteger = (value: number): boolean => Number.isInteger(value);

/** Parsers for each numeric setting, shared by the flags and by `/set` in the chat. */
export const SETTING_PARSERS = {
  temperature: numberParser('--temperature', (v) => v >= 0, 'a number >= 0'),
  topK: numberParser('--top-k', (v) => isInteger(v) && v >= 0, 'an integer >= 0'),
  topP: numberParser('--top-p', (v) => v > 0 && v <= 1, 'in (0, 1]'),
  minP: numberParser('--min-p', (v) => v >= 0 && v <= 1, 'in [0, 1]'),
  repeatPenalty: numberParser('--repeat-penalty', (v) => v > 0, 'a number > 0'),
  seed: numberParser('--seed', (v) => isInteger(v) && v >= 0, 'an integer >= 0'),
  maxTokens: numberParser('--max-tokens', (v) => isInteger(v) && v > 0, 'an integer > 0'),
  context: numberParser('--context', (v) => isInteger(v) && v > 0, 'an integer > 0'),
} as const;

/** Adds the generation flags to `owm run`. */
export function addGenerationOptions(command: Command): Command {
  return command
    .option('--system <text>', 'system prompt')
    .option('--max-tokens <n>', 'most tokens to generate (default: until the model stops or the context is full)', SETTING_PARSERS.maxTokens)
    .option('--temperature <t>', 'sampling temperature; 0 is greedy (default: the model\'s, else 0.8)', SETTING_PARSERS.temperature)
    .option('--top-k <k>', 'sample among the k most likely tokens; 0 = off (default 40)', SETTING_PARSERS.topK)
    .option('--top-p <p>', 'nucleus sampling, in (0, 1] (default 0.95)', SETTING_PARSERS.topP)
    .option('--min-p <p>', 'drop tokens below p × the top probability, in [0, 1] (default 0.05)', SETTING_PARSERS.minP)
    .option('--repeat-penalty <r>', 'penalty for repeating recent tokens; 1 = off (default 1)', SETTING_PARSERS.repeatPenalty)
    .option('--seed <n>', 'random seed: same seed, prompt and model give the same output', SETTING_PARSERS.seed)
    .option('--stop <string>', 'stop when the model writes this (repeatable; not printed)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--context <n>', 'context window in tokens (default: the model\'s, at most 8192)', SETTING_PARSERS.context)
    .addOption(new Option('--think <mode>', 'show or hide <think>…</think> reasoning of models like DeepSeek-R1').choices(['show', 'hide']).default('show'));
}

/** The sampling settings the user set (flags or `/set`); unset ones are left out. */
export function samplingOverrides(flags: GenerationFlags): Partial<SamplingOptions> {
  const { temperature, topK, topP, minP, repeatPenalty, seed } = flags;
  return definedOnly({ temperature, topK, topP, minP, repeatPenalty, seed });
}

/** Applies `/set <name> <value>` from the chat to the settings; returns what changed, for a confirmation line. */
export function applySetting(flags: GenerationFlags, name: string, value: string): string {
  const key = SETTING_ALIASES[name.toLowerCase()];
  if (!key) {
    throw new UsageError(`Unknown setting '${name}': use one of ${Object.keys(SETTING_ALIASES).filter((alias) => alias.includes('_') || !alias.includes('-')).join(', ')}.`);
  }
  if (key === 'stop') {
    flags.stop = value === '' ? [] : [...(flags.stop ?? []), value];
    return `stop strings: ${JSON.stringify(flags.stop)}`;
  }
  if (key === 'think') {
    if (value !== 'show' && value !== 'hide') throw new UsageError(`think must be show or hide, got ${value}`);
    flags.think = value;
    return `think: ${value}`;
  }
  try {
    flags[key] = SETTING_PARSERS[key](value);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return `${name}: ${flags[key]}`;
}

type SettingKey = keyof typeof SETTING_PARSERS | 'stop' | 'think';

const SETTING_ALIASES: Record<string, SettingKey> = {
  temperature: 'temperature',
  top_k: 'topK',
  'top-k': 'topK',
  top_p: 'topP',
  'top-p': 'topP',
  min_p: 'minP',
  'min-p': 'minP',
  repeat_penalty: 'repeatPenalty',
  'repeat-penalty': 'repeatPenalty',
  seed: 'seed',
  max_tokens: 'maxTokens',
  'max-tokens': 'maxTokens',
  context: 'context',
  stop: 'stop',
  think: 'think',
};
