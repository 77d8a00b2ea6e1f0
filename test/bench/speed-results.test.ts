import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeSpeedResults, singleReps } from '../../bench/peers/speed-results.js';

const plan = {
  runs: [
    { promptLength: 32, reps: 3 },
    { promptLength: 512, reps: 3 },
    { promptLength: 2048, reps: 1 },
  ],
  genTokens: 16,
  vocab: 100,
};

test('singleReps runs the whole plan as often as its most repeated prompt', () => {
  assert.equal(singleReps(plan), 3);
  assert.equal(singleReps({ ...plan, runs: [] }), 1);
});

test('mergeSpeedResults restores plan order and derives prefill from time to first token', () => {
  const result = (promptLength: number, ttft: number) => ({
    promptLength,
    genTokens: 16,
    timeToFirstTokenMs: { median: ttft, min: ttft / 2, max: ttft * 2 },
    prefillTokensPerSecond: { median: 1, min: 1, max: 1 },
    decodeTokensPerSecond: { median: 7, min: 6, max: 8 },
  });
  const merged = mergeSpeedResults(plan, [result(2048, 4096), result(512, 1000), result(32, 100)]);
  assert.deepEqual(merged.map((run) => run.promptLength), [32, 512, 2048]);
  assert.deepEqual(merged[1].prefillTokensPerSecond, { median: 512, min: 256, max: 1024 });
  assert.deepEqual(merged[1].decodeTokensPerSecond, { median: 7, min: 6, max: 8 });
  assert.throws(() => mergeSpeedResults(plan, [result(32, 1)]), /no result for prompt 512/);
});
