import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measurePlan } from '../../bench/peers/measure-plan.js';
import type { TimedGeneration } from '../../bench/peers/peer-protocol.js';
import { benchmarkPromptIds } from '../../src/runtime/measure-speed.js';

test('measurePlan warms up, repeats each prompt and derives rates from the timings', async () => {
  const calls: { length: number; gen: number }[] = [];
  let call = 0;
  const ttfts = [100, 200, 400];
  const generate = async (promptIds: number[], genTokens: number): Promise<TimedGeneration> => {
    calls.push({ length: promptIds.length, gen: genTokens });
    const ttftMs = call === 0 ? 1 : ttfts[(call - 1) % 3];
    call++;
    return { ttftMs, decodeMs: 90, generatedTokens: genTokens, tokenIds: promptIds.slice(0, genTokens) };
  };
  const plan = { runs: [{ promptLength: 50, reps: 3 }], genTokens: 10, vocab: 500 };
  const results = await measurePlan(plan, generate, () => {});
  assert.deepEqual(calls, [
    { length: 8, gen: 4 },
    { length: 50, gen: 10 },
    { length: 50, gen: 10 },
    { length: 50, gen: 10 },
  ]);
  const [run] = results.runs;
  assert.deepEqual(run.ttftMs, { median: 200, min: 100, max: 400 });
  assert.deepEqual(run.prefillTokensPerSecond, { median: 250, min: 125, max: 500 });
  assert.equal(run.decodeTokensPerSecond.median, 100);
  assert.deepEqual(results.firstTokens, benchmarkPromptIds(50, 500).slice(0, 10));
});

test('measurePlan fails when a peer stops early', async () => {
  const generate = async (_ids: number[], genTokens: number): Promise<TimedGeneration> => ({ ttftMs: 1, decodeMs: 1, generatedTokens: genTokens - 1, tokenIds: [] });
  await assert.rejects(measurePlan({ runs: [{ promptLength: 16, reps: 1 }], genTokens: 8, vocab: 100 }, generate, () => {}), /generated 7 tokens instead of 8 at prompt 16/);
});
