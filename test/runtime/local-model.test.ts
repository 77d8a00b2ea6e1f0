import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GenerationRequest, GenerationStats } from '../../src/runtime/generate-text.js';
import type * as LocalModelModule from '../../src/runtime/local-model.js';
import type { Generation } from '../../src/runtime/generation.js';
import type { ChatMessage } from '../../src/runtime/render-chat-template.js';
import { importDist } from '../../bench/peers/dist-module.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

// The model worker exists only as built JavaScript (npm test builds first).
const { LocalModel } = await importDist<typeof LocalModelModule>('runtime/local-model.js');

const GREEDY = { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

function request(content: string, maxTokens: number, extra: Partial<GenerationRequest> = {}): GenerationRequest {
  return { messages: [{ role: 'user', content }], sampling: GREEDY, maxTokens, stop: [], think: 'show', ignoreEos: true, ...extra };
}

async function collect(generation: Generation): Promise<{ text: string; stats: GenerationStats }> {
  let text = '';
  for await (const piece of generation) text += piece;
  return { text, stats: await generation.stats };
}

describe('LocalModel serves many requests', () => {
  let dir: string;
  let solo: LocalModelModule.LocalModel;

  before(async () => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-local-model-')), 'model');
    writeSyntheticModel(dir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 3 });
    solo = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 });
  });
  after(async () => {
    await solo.dispose();
  });

  test('concurrent generations on their own slots give each its answer alone', async () => {
    const prompts = ['Tell me about rivers', 'Why do cats purr?', 'List three colours'];
    const alone = [];
    for (const prompt of prompts) alone.push(await collect(solo.generate(request(prompt, 24, { freshCache: true }))));
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 }, { parallel: 3 });
    try {
      const together = await Promise.all(prompts.map((prompt) => collect(model.generate(request(prompt, 24)))));
      for (let i = 0; i < prompts.length; i++) assert.deepEqual(together[i]?.stats.tokenIds, alone[i]?.stats.tokenIds, prompts[i]);
    } finally {
      await model.dispose();
    }
  });

  test('leaving a generation early stops it: its statistics settle and the next one runs', async () => {
    const generation = solo.generate(request('Count slowly to a million', 100_000));
    let pieces = 0;
    for await (const piece of generation) {
      void piece;
      if (++pieces === 3) break;
    }
    const stats = await generation.stats;
    assert.equal(stats.stopReason, 'interrupted');
    assert.ok(stats.generatedTokens < 50, `stopped within a step or two, generated ${stats.generatedTokens}`);
    const next = await collect(solo.generate(request('Hello', 4)));
    assert.equal(next.stats.generatedTokens, 4);
  });

  test('an abort signal stops a running generation and takes a waiting one out of the queue', async () => {
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 }, { parallel: 1 });
    try {
      const running = new AbortController();
      const waiting = new AbortController();
      const first = model.generate(request('Write a long essay', 100_000), { signal: running.signal });
      const firstDone = collect(first);
      const second = model.generate(request('Never runs', 8), { signal: waiting.signal });
      const secondDone = collect(second);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(model.load, { running: 1, queued: 1 });
      waiting.abort();
      await assert.rejects(secondDone);
      running.abort();
      const { stats } = await firstDone;
      assert.equal(stats.stopReason, 'interrupted');
      assert.deepEqual(model.load, { running: 0, queued: 0 });
    } finally {
      await model.dispose();
    }
  });

  test('a full queue refuses at once with queue-full', async () => {
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 }, { parallel: 1, maxQueue: 1 });
    try {
      const first = model.generate(request('one', 100_000));
      const second = model.generate(request('two', 2));
      assert.throws(() => model.generate(request('three', 2)), (error: Error & { code?: string }) => error.code === 'queue-full');
      const firstDone = collect(first);
      first.stop();
      assert.equal((await firstDone).stats.stopReason, 'interrupted');
      assert.equal((await collect(second)).stats.generatedTokens, 2);
      assert.equal((await collect(model.generate(request('four', 2)))).stats.generatedTokens, 2, 'room again once the queue drained');
    } finally {
      await model.dispose();
    }
  });

  test('each slot keeps its own conversation: second turns prefill only what is new', async () => {
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 }, { parallel: 2 });
    try {
      const turn = (messages: ChatMessage[]): Promise<{ text: string; stats: GenerationStats }> =>
        collect(model.generate({ messages, sampling: GREEDY, maxTokens: 6, stop: [], think: 'show', ignoreEos: true }));
      const alice: ChatMessage[] = [{ role: 'user', content: 'Alice asks about the weather in spring and summer' }];
      const bob: ChatMessage[] = [{ role: 'user', content: 'Bob wants a recipe for bread with many steps' }];
      const [a1, b1] = await Promise.all([turn(alice), turn(bob)]);
      const [a2, b2] = await Promise.all([
        turn([...alice, { role: 'assistant', content: a1.text }, { role: 'user', content: 'And autumn?' }]),
        turn([...bob, { role: 'assistant', content: b1.text }, { role: 'user', content: 'Without yeast?' }]),
      ]);
      assert.ok(a2.stats.reusedPromptTokens >= a1.stats.promptTokens - 1, `alice reused ${a2.stats.reusedPromptTokens} of ${a1.stats.promptTokens}`);
      assert.ok(b2.stats.reusedPromptTokens >= b1.stats.promptTokens - 1, `bob reused ${b2.stats.reusedPromptTokens} of ${b1.stats.promptTokens}`);
    } finally {
      await model.dispose();
    }
  });

  test('dispose during a generation ends it cleanly and refuses new ones', async () => {
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 });
    const generation = model.generate(request('Go on forever', 100_000));
    const done = collect(generation);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await model.dispose();
    const { stats } = await done;
    assert.equal(stats.stopReason, 'interrupted');
    assert.ok(stats.generatedTokens > 0);
    assert.throws(() => model.generate(request('late', 2)), (error: Error & { code?: string }) => error.code === 'unloaded');
  });
});

describe('LocalModel decodes concurrent requests in batches', () => {
  let dir: string;
  let settings: { device: 'cpu'; threads: number; optimize: { cacheDir: string; exact: boolean } };

  before(() => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'owm-local-model-batch-'));
    dir = path.join(root, 'model');
    writeSyntheticModel(dir, { arch: 'llama', style: 'optimum', dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 11 });
    // The default rewrite (accuracy_level 4): batch rows must not change one another's int8 activations.
    settings = { device: 'cpu', threads: 1, optimize: { cacheDir: path.join(root, 'optimized'), exact: false } };
  });

  /** Collects a generation, calling `onPiece(n)` after its n-th piece; returning true stops it there. */
  async function collectUntil(generation: Generation, onPiece: (pieces: number) => boolean | void): Promise<GenerationStats> {
    let pieces = 0;
    for await (const piece of generation) {
      void piece;
      if (onPiece(++pieces)) generation.stop();
    }
    return generation.stats;
  }

  test('greedy generations joining at different times, one stopped early, each give their answer alone', async () => {
    const prompts = ['Tell me about rivers and the seas they run into', 'Why?', 'List three colours of the rainbow, then two more', 'Stop me early'];
    const budgets = [40, 24, 20, 40];
    const solo = await LocalModel.load({ dir, modelFile: 'onnx/model_q4.onnx' }, settings);
    const alone: GenerationStats[] = [];
    try {
      for (const [i, prompt] of prompts.entries()) alone.push((await collect(solo.generate(request(prompt, budgets[i] as number, { freshCache: true })))).stats);
    } finally {
      await solo.dispose();
    }
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model_q4.onnx' }, settings, { parallel: 4 });
    try {
      assert.equal(model.info.batching, true);
      const generate = (i: number): Generation => model.generate(request(prompts[i] as string, budgets[i] as number));
      let startThird!: () => void;
      const thirdMayStart = new Promise<void>((resolve) => (startThird = resolve));
      const together = await Promise.all([
        collectUntil(generate(0), (pieces) => void (pieces === 8 && startThird())),
        collectUntil(generate(1), () => {}),
        thirdMayStart.then(() => collectUntil(generate(2), () => {})),
        collectUntil(generate(3), (pieces) => pieces === 5),
      ]);
      for (const i of [0, 1, 2]) assert.deepEqual(together[i]?.tokenIds, alone[i]?.tokenIds, prompts[i]);
      const stopped = together[3] as GenerationStats;
      assert.equal(stopped.stopReason, 'interrupted');
      assert.deepEqual(stopped.tokenIds, alone[3]?.tokenIds.slice(0, stopped.tokenIds.length), 'the stopped one, as far as it went');
    } finally {
      await model.dispose();
    }
  });

  test('dispose during batched generations ends them cleanly', async () => {
    const model = await LocalModel.load({ dir, modelFile: 'onnx/model_q4.onnx' }, settings, { parallel: 3 });
    const running = [0, 1, 2].map((i) => collect(model.generate(request(`Go on forever ${i}`, 100_000))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await model.dispose();
    for (const done of running) assert.equal((await done).stats.stopReason, 'interrupted');
  });
});
