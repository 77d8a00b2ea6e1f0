import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBenchArgs } from '../../bench/bench-args.js';
import { benchSettings, chartOnlyPlan, tablePlan } from '../../bench/bench-settings.js';

describe('parseBenchArgs', () => {
  test('reads every flag, --only as a list or repeated', () => {
    const args = parseBenchArgs(['--quick', '--threads', '4', '--only', 'a,b', '--only', 'c', '--out', 'x', '--reps', '2', '--skip-download']);
    assert.deepEqual(args, { quick: true, threads: 4, only: ['a', 'b', 'c'], out: 'x', reps: 2, skipDownload: true, help: false });
  });

  test('defaults to the full set on all cores', () => {
    assert.deepEqual(parseBenchArgs([]), { quick: false, threads: undefined, only: [], out: undefined, reps: undefined, skipDownload: false, help: false });
  });

  test('rejects bad numbers and unknown flags', () => {
    assert.throws(() => parseBenchArgs(['--threads', '0']), /--threads must be an integer >= 1, got 0/);
    assert.throws(() => parseBenchArgs(['--reps', 'x']), /--reps/);
    assert.throws(() => parseBenchArgs(['--fast']), /fast/);
  });
});

describe('benchSettings', () => {
  const request = { quick: false, threads: 2, only: [], skipDownload: false };

  test('the quick set is one model, the full set all four', () => {
    assert.deepEqual(benchSettings({ ...request, quick: true }).models.map((model) => model.id), ['smollm2-135m-q4']);
    assert.equal(benchSettings(request).models.length, 4);
  });

  test('--only picks models and rejects unknown ids', () => {
    assert.deepEqual(benchSettings({ ...request, only: ['qwen2.5-0.5b-int4-genai'] }).models.map((model) => model.id), ['qwen2.5-0.5b-int4-genai']);
    assert.throws(() => benchSettings({ ...request, only: ['gpt-5'] }), /unknown model gpt-5/);
  });

  test('plans measure every column once, long prompts fewer times', () => {
    const settings = benchSettings(request);
    const table = tablePlan(settings, 1000);
    assert.deepEqual(table.runs, [
      { promptLength: 32, reps: 3 },
      { promptLength: 128, reps: 3 },
      { promptLength: 512, reps: 3 },
      { promptLength: 2048, reps: 2 },
    ]);
    assert.equal(table.vocab, 1000);
    assert.deepEqual(chartOnlyPlan(settings, 1000).runs, [
      { promptLength: 1024, reps: 2 },
      { promptLength: 4096, reps: 2 },
    ]);
    assert.deepEqual(chartOnlyPlan(benchSettings({ ...request, quick: true }), 1000).runs, []);
  });

  test('--reps and --skip-download override the set', () => {
    const settings = benchSettings({ ...request, quick: true, reps: 5, skipDownload: true });
    assert.equal(settings.shortReps, 5);
    assert.equal(settings.longReps, 5);
    assert.equal(settings.downloadBytes, 0);
  });
});
