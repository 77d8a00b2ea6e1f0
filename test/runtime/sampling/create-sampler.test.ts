import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../../src/errors.js';
import { createSampler, type SamplingOptions } from '../../../src/runtime/sampling/index.js';

const SAMPLING: SamplingOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed: 42 };

function sampler(options: Partial<SamplingOptions>) {
  return createSampler({ ...SAMPLING, ...options });
}

/** Deterministic pseudo-random logits. */
function randomLogits(size: number, spread: number, seed = 1): Float32Array {
  let state = seed;
  const logits = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    logits[i] = (state / 2 ** 32) * spread;
  }
  return logits;
}

/** `peaks` tokens around 10..12 over a vocabulary around 0..4: a nucleus with a visible edge. */
function peakedLogits(size: number, peaks: number, seed: number): Float32Array {
  const logits = randomLogits(size, 4, seed);
  const high = randomLogits(peaks, 2, seed + 1);
  const positions = randomLogits(peaks, size, seed + 2);
  high.forEach((value, i) => (logits[Math.floor(positions[i] as number)] = 10 + value));
  return logits;
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let id = 1; id < logits.length; id++) if ((logits[id] as number) > (logits[best] as number)) best = id;
  return best;
}

/** How often each id comes up in `draws` samples. */
function frequencies(options: Partial<SamplingOptions>, logits: Float32Array, draws: number, history: number[] = []) {
  const pick = sampler(options);
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const id = pick.sample(logits, history);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** The ids transformers' warpers would leave (temperature, top-k, top-p, min-p), by a full sort. */
function referenceSupport(logits: Float32Array, { temperature, topK, topP, minP }: SamplingOptions): Set<number> {
  let order = [...logits.keys()].sort((a, b) => (logits[b] as number) - (logits[a] as number));
  if (topK > 0) order = order.slice(0, topK);
  const best = logits[order[0] as number] as number;
  const weights = order.map((id) => Math.exp(((logits[id] as number) - best) / temperature));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let kept = order.length;
  for (let i = 0, mass = 0; i < order.length; i++) {
    mass += weights[i] as number;
    if (mass >= topP * total) {
      kept = i + 1;
      break;
    }
  }
  return new Set(order.slice(0, kept).filter((_, i) => (weights[i] as number) >= minP));
}

describe('createSampler', () => {
  const logits = Float32Array.from([1.5, 3.25, -2, 3.2, 0.5]);

  test('temperature 0 is greedy', () => {
    for (const seed of [1, 2, 3]) assert.equal(sampler({ temperature: 0, seed }).sample(logits, []), 1);
  });

  test('top-k 1 is greedy at any temperature', () => {
    const pick = sampler({ topK: 1, temperature: 2 });
    for (let i = 0; i < 50; i++) assert.equal(pick.sample(logits, []), 1);
  });

  test('the same seed gives the same tokens, another seed others', () => {
    const flat = randomLogits(1000, 1);
    const run = (seed: number) => {
      const pick = sampler({ seed });
      return Array.from({ length: 30 }, () => pick.sample(flat, []));
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });

  test('a tiny top-p keeps only the most likely token', () => {
    const pick = sampler({ topP: 1e-6, temperature: 1.5 });
    for (let i = 0; i < 100; i++) assert.equal(pick.sample(logits, []), 1);
    const big = randomLogits(151936, 10);
    assert.equal(sampler({ topP: 1e-6 }).sample(big, []), argmax(big));
  });

  test('min-p drops tokens much less likely than the best', () => {
    const counts = frequencies({ minP: 0.1 }, logits, 2000);
    assert.deepEqual([...counts.keys()].sort(), [0, 1, 3]);
    // 0.5 is e^-2.75 ≈ 0.064 of the best: below 0.1, so dropped; 1.5 is e^-1.75 ≈ 0.17: kept.
    assert.equal(counts.get(4), undefined);
  });

  test('the repeat penalty lowers tokens seen in the last n, and leaves the logits as they were', () => {
    const close = Float32Array.from([2, 1.9, -1, -1.5]);
    const before = Float32Array.from(close);
    assert.equal(sampler({ temperature: 0, repeatPenalty: 1.2 }).sample(close, [0]), 1);
    assert.deepEqual(close, before);
    // Negative logits are multiplied, so they drop too.
    const negative = Float32Array.from([-1, -1.5, -9]);
    assert.equal(sampler({ temperature: 0, repeatPenalty: 2 }).sample(negative, [0]), 1);
    // Only the last `repeatLastN` ids count; -1 looks at all of them, 0 at none.
    assert.equal(sampler({ temperature: 0, repeatPenalty: 1.2, repeatLastN: 2 }).sample(close, [0, 2, 3]), 0);
    assert.equal(sampler({ temperature: 0, repeatPenalty: 1.2, repeatLastN: -1 }).sample(close, [0, 2, 3]), 1);
    assert.equal(sampler({ temperature: 0, repeatPenalty: 1.2, repeatLastN: 0 }).sample(close, [0]), 0);
    // Ids outside the vocabulary are ignored.
    assert.equal(sampler({ temperature: 0, repeatPenalty: 1.2 }).sample(close, [99, -1]), 0);
  });

  test('frequency and presence penalties subtract per repeat and once per seen token, then restore the logits', () => {
    const close = Float32Array.from([2, 1.5, 1.2, -1]);
    const before = Float32Array.from(close);
    // Token 0 seen twice: 2 - 2 × 0.3 = 1.4 falls below token 1.
    assert.equal(sampler({ temperature: 0, frequencyPenalty: 0.3 }).sample(close, [0, 0]), 1);
    assert.equal(sampler({ temperature: 0, frequencyPenalty: 0.2 }).sample(close, [0]), 0);
    // Presence counts once however often: 2 - 0.6 = 1.4 < 1.5 either way.
    assert.equal(sampler({ temperature: 0, presencePenalty: 0.6 }).sample(close, [0, 0, 0]), 1);
    // A negative penalty favours seen tokens.
    assert.equal(sampler({ temperature: 0, presencePenalty: -1 }).sample(close, [2]), 2);
    assert.deepEqual(close, before);
    assert.throws(() => sampler({ frequencyPenalty: 3 }), /frequency_penalty must be in \[-2, 2\]/);
  });

  test('frequencies follow the softmax at the temperature', () => {
    const temperature = 0.7;
    const draws = 40_000;
    const counts = frequencies({ temperature, seed: 3 }, logits, draws);
    const weights = [...logits].map((logit) => Math.exp(logit / temperature));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    weights.forEach((weight, id) => {
      const expected = weight / total;
      const observed = (counts.get(id) ?? 0) / draws;
      // 4 standard deviations of a binomial proportion.
      assert.ok(Math.abs(observed - expected) < 4 * Math.sqrt((expected * (1 - expected)) / draws) + 1e-9, `token ${id}`);
    });
  });

  test('top-k renormalizes over the k best', () => {
    const draws = 20_000;
    const counts = frequencies({ topK: 2, seed: 5 }, logits, draws);
    assert.deepEqual([...counts.keys()].sort(), [1, 3]);
    const expected = 1 / (1 + Math.exp(3.2 - 3.25));
    const observed = (counts.get(1) as number) / draws;
    assert.ok(Math.abs(observed - expected) < 4 * Math.sqrt((expected * (1 - expected)) / draws));
  });

  for (const options of [
    { topP: 0.3 },
    { topP: 0.7, temperature: 0.5 },
    { topP: 0.6, minP: 0.2 },
    { topP: 0.8, minP: 0.5, temperature: 2 },
    { minP: 0.3 },
    { topK: 10, topP: 0.5 },
    { topK: 15, minP: 0.3 },
  ] as Partial<SamplingOptions>[]) {
    test(`samples exactly the tokens a full sort keeps: ${JSON.stringify(options)}`, () => {
      const peaked = peakedLogits(3000, 30, 11);
      const support = referenceSupport(peaked, { ...SAMPLING, ...options });
      assert.ok(support.size >= 2 && support.size <= 25, `support of ${support.size}`);
      const counts = frequencies({ ...options, seed: 9 }, peaked, 5000);
      assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [...support].sort((a, b) => a - b));
    });
  }

  test('a 151,936-entry vocabulary: top-p without top-k stays inside the nucleus', () => {
    const big = randomLogits(151936, 16, 5);
    const options = { ...SAMPLING, topP: 0.5, temperature: 0.8 };
    const support = referenceSupport(big, options);
    const pick = createSampler(options);
    for (let i = 0; i < 50; i++) assert.ok(support.has(pick.sample(big, [])));
  });

  test('logits a broken model could give still yield a token', () => {
    assert.equal(sampler({}).sample(Float32Array.from([0, 1, Infinity, 2]), []), 2);
    assert.equal(sampler({ topP: 0.5 }).sample(Float32Array.from([Number.NaN, Number.NaN]), []), 0);
  });

  test('options out of range are a usage error', () => {
    assert.throws(() => sampler({ topP: 1.5 }), UsageError);
  });
});
