import os from 'node:os';
import { UsageError } from '../errors.js';

// Parsers throw UsageError rather than commander's InvalidArgumentError, which commander would
// prefix with its own sentence ("option '--x <n>' argument '-1' is invalid."): the user gets one.

/** A number flag that must pass `check`; `rule` says what it must be ("an integer > 0"). */
export function numberFlag(flag: string, check: (value: number) => boolean, rule: string): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || !check(value)) throw new UsageError(`${flag} must be ${rule}, got ${raw}.`);
    return value;
  };
}

/** A whole-number flag in [min, max]. */
export function integerFlag(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  const rule = max === Number.MAX_SAFE_INTEGER ? `a whole number, ${min} or more` : `a whole number from ${min} to ${max}`;
  return numberFlag(flag, (value) => Number.isInteger(value) && value >= min && value <= max, rule);
}

/** `--threads`: from 1 to this machine's logical cores (more only slows ONNX Runtime down). */
export function threadsFlag(raw: string): number {
  const cores = os.availableParallelism();
  return numberFlag('--threads', (value) => Number.isInteger(value) && value >= 1 && value <= cores, `a whole number from 1 to ${cores} (this machine's logical cores)`)(raw);
}

/** A comma-separated list of positive whole numbers. */
export function integerListFlag(flag: string): (raw: string) => number[] {
  return (raw) => {
    const values = raw.split(',').map((part) => Number(part.trim()));
    if (values.some((value) => !Number.isInteger(value) || value < 1)) throw new UsageError(`${flag} must be whole numbers above 0 separated by commas, got ${raw}.`);
    return values;
  };
}
