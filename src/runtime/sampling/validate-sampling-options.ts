import { UsageError } from '../../errors.js';
import type { SamplingOptions } from './sampling-options.js';

/** Throws a UsageError naming the first sampling setting out of range (by its API name: `top_p`), its range and the value. */
export function validateSamplingOptions(options: SamplingOptions): void {
  const { temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, frequencyPenalty = 0, presencePenalty = 0 } = options;
  check(temperature >= 0 && temperature < Infinity, 'temperature must be 0 or more', temperature);
  check(Number.isSafeInteger(topK) && topK >= 0, 'top_k must be a whole number, 0 or more', topK);
  check(topP > 0 && topP <= 1, 'top_p must be in (0, 1]', topP);
  check(minP >= 0 && minP <= 1, 'min_p must be in [0, 1]', minP);
  check(repeatPenalty > 0 && repeatPenalty < Infinity, 'repeat_penalty must be more than 0', repeatPenalty);
  check(frequencyPenalty >= -2 && frequencyPenalty <= 2, 'frequency_penalty must be in [-2, 2]', frequencyPenalty);
  check(presencePenalty >= -2 && presencePenalty <= 2, 'presence_penalty must be in [-2, 2]', presencePenalty);
  if (repeatLastN !== undefined) {
    check(Number.isSafeInteger(repeatLastN) && repeatLastN >= -1, 'repeat_last_n must be a whole number, -1 or more', repeatLastN);
  }
  if (seed !== undefined) check(Number.isSafeInteger(seed) && seed >= 0, 'seed must be a whole number, 0 or more', seed);
}

function check(ok: boolean, rule: string, value: number): void {
  if (!ok) throw new UsageError(`${rule}, got ${value}`, { code: 'invalid-sampling-option' });
}
