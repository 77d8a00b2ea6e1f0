import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBenchArgs } from '../../bench/bench-args.js';
import { BENCH_MODELS, type BenchModel } from '../../bench/bench-models.js';
import { benchSettings, chartOnlyPlan, leftOutReason, modelSettings, tablePlan } from '../../bench/bench-settings.js';

describe('parseBenchArgs', () => {
  test('reads every flag, --only as a list or repeated', () => {
    const args = parseBenchArgs(['--quick', '--threads', '4', '--only', 'a,b', '--only', 'c', '--out', 'x', '--reps', '2', '--skip-download', '--models-only']);
    assert.deepEqual(args, { quick: true, threads: 4, only: ['a', 'b', 'c'], out: 'x', reps: 2, skipDownload: true, modelsOnly: true, help: false });
  });

  test('defaults to the full set on all cores', () => {
    assert.deepEqual(parseBenchArgs([]), { quick: false, threads: undefined, only: [], out: undefined, reps: undefined, skipDownload: false, modelsOnly: false, help: false });
  });

  test('rejects bad numbers and unknown flags', () => {
    assert.throws(() => parseBenchArgs(['--threads', '0']), /--threads must be an integer >= 1, got 0/);
    assert.throws(() => parseBenchArgs(['--reps', 'x']), /--reps/);
    assert.throws(() => parseBenchArgs(['--fast']), /fast/);
  });
});

describe('benchSettings', () => {
  const request = { quick: false, threads: 2, only: [], skipDownload: false };

  test('the quick set is one model, the full set all seven', () => {
    assert.deepEqual(benchSettings({ ...request, quick: true }).models.map((model) => model.id), ['smollm2-135m-q4']);
    assert.deepEqual(
      benchSettings(request).models.map((model) => model.id),
      ['smollm2-135m-fp32', 'smollm2-135m-q4', 'qwen2.5-0.5b-q4', 'qwen2.5-0.5b-int4-genai', 'llama3.2-1b-q4', 'qwen2.5-1.5b-q4', 'mistral-7b-int4-genai'],
    );
  });

  test('--only picks models and rejects unknown ids', () => {
    assert.deepEqual(benchSettings({ ...request, only: ['qwen2.5-0.5b-int4-genai'] }).models.map((model) => model.id), ['qwen2.5-0.5b-int4-genai']);
    assert.throws(() => benchSettings({ ...request, only: ['gpt-5'] }), /unknown model gpt-5/);
  });

  test('plans measure every column once, long prompts fewer times', () => {
    const settings = benchSettings(request);
    const table = tablePlan(settings, 1000);
    assert.deepEqual(table.runs, [
      { promptLength: 32, reps: 2 },
      { promptLength: 128, reps: 2 },
      { promptLength: 512, reps: 2 },
      { promptLength: 2048, reps: 1 },
    ]);
    assert.equal(table.vocab, 1000);
    assert.deepEqual(chartOnlyPlan(settings, 1000).runs, [{ promptLength: 1024, reps: 1 }]);
    assert.deepEqual(chartOnlyPlan(benchSettings({ ...request, quick: true }), 1000).runs, []);
  });

  test('--reps and --skip-download override the set', () => {
    const settings = benchSettings({ ...request, quick: true, reps: 5, skipDownload: true });
    assert.equal(settings.shortReps, 5);
    assert.equal(settings.longReps, 5);
    assert.equal(settings.downloadBytes, 0);
  });

  test('--models-only leaves out everything but the models', () => {
    const settings = benchSettings({ ...request, modelsOnly: true });
    assert.deepEqual(
      [settings.downloadBytes, settings.serveLoad, settings.constrainedReps, settings.batchingTokens, settings.embeddingsReps],
      [0, null, 0, 0, 0],
    );
    assert.equal(settings.shortReps, 2);
  });
});

describe('modelSettings', () => {
  const full = benchSettings({ quick: false, threads: 2, only: [], skipDownload: false });
  const model = (id: string): BenchModel => BENCH_MODELS.find((candidate) => candidate.id === id) as BenchModel;

  test('a model without a plan of its own runs the set’s', () => {
    assert.equal(modelSettings(full, model('qwen2.5-0.5b-q4')), full);
  });

  test('a billion-weight shape runs every column with fewer repetitions and no chart-only contexts', () => {
    const settings = modelSettings(full, model('qwen2.5-1.5b-q4'));
    assert.deepEqual([settings.shortReps, settings.longReps, settings.coldReps, settings.chatTurnReps], [2, 1, 2, 0]);
    assert.deepEqual(tablePlan(settings, 1000).runs, [
      { promptLength: 32, reps: 2 },
      { promptLength: 128, reps: 2 },
      { promptLength: 512, reps: 2 },
      { promptLength: 2048, reps: 1 },
    ]);
    assert.deepEqual(chartOnlyPlan(settings, 1000).runs, []);
    assert.match(leftOutReason(model('qwen2.5-1.5b-q4'), 'floor') ?? '', /30 minutes/);
    assert.equal(leftOutReason(model('qwen2.5-1.5b-q4'), 'llama-cpp'), undefined);
  });

  test('the 7B shape decodes at its own contexts only', () => {
    assert.deepEqual(tablePlan(modelSettings(full, model('mistral-7b-int4-genai')), 1000).runs, [
      { promptLength: 32, reps: 1 },
      { promptLength: 128, reps: 1 },
      { promptLength: 512, reps: 1 },
    ]);
  });

  test('a plan caps repetitions: a smaller --reps still wins', () => {
    const settings = modelSettings(benchSettings({ quick: false, threads: 2, only: [], skipDownload: false, reps: 1 }), model('llama3.2-1b-q4'));
    assert.deepEqual([settings.shortReps, settings.longReps, settings.coldReps], [1, 1, 1]);
  });
});
