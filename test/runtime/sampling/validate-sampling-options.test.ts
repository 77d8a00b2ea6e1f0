import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.js';
import { validateSamplingOptions, type SamplingOptions } from '../../../src/runtime/sampling/index.js';

const VALID: SamplingOptions = { temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, repeatPenalty: 1.1 };

test('validateSamplingOptions accepts the edges of each range', () => {
  for (const options of [
    VALID,
    { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 },
    { ...VALID, minP: 1, topP: 1e-9, repeatPenalty: 0.5, repeatLastN: -1, seed: 0 },
    { ...VALID, repeatLastN: 0, seed: 2 ** 40 },
  ]) {
    assert.doesNotThrow(() => validateSamplingOptions(options), JSON.stringify(options));
  }
});

test('validateSamplingOptions names the setting, its range and the value given', () => {
  const cases: [Partial<SamplingOptions>, string][] = [
    [{ topP: 1.5 }, 'top_p must be in (0, 1], got 1.5'],
    [{ topP: 0 }, 'top_p must be in (0, 1], got 0'],
    [{ temperature: -0.1 }, 'temperature must be 0 or more, got -0.1'],
    [{ temperature: Number.NaN }, 'temperature must be 0 or more, got NaN'],
    [{ topK: 2.5 }, 'top_k must be a whole number, 0 or more, got 2.5'],
    [{ topK: -1 }, 'top_k must be a whole number, 0 or more, got -1'],
    [{ minP: 1.01 }, 'min_p must be in [0, 1], got 1.01'],
    [{ repeatPenalty: 0 }, 'repeat_penalty must be more than 0, got 0'],
    [{ repeatLastN: -2 }, 'repeat_last_n must be a whole number, -1 or more, got -2'],
    [{ seed: -1 }, 'seed must be a whole number, 0 or more, got -1'],
    [{ seed: 0.5 }, 'seed must be a whole number, 0 or more, got 0.5'],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => validateSamplingOptions({ ...VALID, ...change }),
      (error: unknown) => error instanceof UsageError && error.message === message && error.exitCode === 2,
      message,
    );
  }
});
