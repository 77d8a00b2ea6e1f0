import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { BatchedDecoder, type BatchedSequence } from '../../src/runtime/batched-decoder.js';
import { readGraphSignature } from '../../src/runtime/graph-signature.js';
import { KvDecoder } from '../../src/runtime/kv-decoder.js';
import { optimizeModel } from '../../src/runtime/optimize/index.js';
import type { SequenceDecoder } from '../../src/runtime/sequence-decoder.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** A greedy run's logits at every step; `afterStep(i)` is awaited after step i. */
async function greedy(
  decoder: SequenceDecoder,
  prompt: number[],
  steps: number,
  afterStep: (step: number) => Promise<void> | void = () => {},
): Promise<{ logits: Float32Array[]; reused: number }> {
  const reused = decoder.startSequence(prompt, prompt.length + 4);
  const logits = [Float32Array.from(await decoder.forward(prompt.slice(reused)))];
  for (let step = 0; step < steps; step++) {
    await afterStep(step);
    logits.push(Float32Array.from(await decoder.forward([argmax(logits[logits.length - 1])])));
  }
  return { logits, reused };
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  a.forEach((row, step) => row.forEach((value, i) => (diff = Math.max(diff, Math.abs(value - (b[step] as Float32Array)[i])))));
  return diff;
}

/** Runs `run` on `sequence`, then leaves the batch whatever happened. */
async function member<T>(sequence: BatchedSequence, run: (decoder: SequenceDecoder) => Promise<T>): Promise<T> {
  try {
    return await run(sequence);
  } finally {
    sequence.leave();
  }
}

for (const style of ['optimum', 'genai'] as const) {
  test(`batched steps give every sequence the logits of its run alone, as sequences join, leave and reuse their prefix (${style} export, rewritten)`, async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'owm-batch-'));
    const model = writeSyntheticModel(path.join(root, 'model'), { arch: 'llama', style, dtype: style === 'genai' ? 'q4' : 'fp32', shape: TINY, tokenizer: 'llama', seed: 7 });
    const fused = await optimizeModel({ modelPath: path.join(model.dir, model.modelFile), cacheDir: path.join(root, 'optimized'), exact: true });
    assert.ok(fused.status !== 'skipped', fused.status === 'skipped' ? fused.reason : '');
    const session = await ort.InferenceSession.create(fused.modelPath);
    const signature = readGraphSignature(session, 'model.onnx');
    const alone = async (prompt: number[], steps: number, previous?: number[]): Promise<{ logits: Float32Array[]; reused: number }> => {
      const decoder = new KvDecoder(session, signature);
      if (previous) await greedy(decoder, previous, 3);
      return greedy(decoder, prompt, steps);
    };

    const prompts = {
      a: [5, 900, 12000, 77],
      b: [4, 301, 9, 10, 11, 12, 13, 14, 15],
      c: [7],
      d: [33, 34, 35, 36, 37],
      dNext: [33, 34, 35, 36, 37, 40, 41],
    };
    const batch = new BatchedDecoder(session, signature);
    // Slot 2 first holds d, then stays idle (a dummy row in the batches of slots 0-3), then continues with dNext.
    await member(batch.sequence(2), (decoder) => greedy(decoder, prompts.d, 3));
    let joinC!: () => void;
    const cMayJoin = new Promise<void>((resolve) => (joinC = resolve));
    const [a, b, c] = await Promise.all([
      member(batch.sequence(0), (decoder) => greedy(decoder, prompts.a, 12, (step) => (step === 4 ? joinC() : undefined))),
      // b leaves early.
      member(batch.sequence(1), (decoder) => greedy(decoder, prompts.b, 6)),
      cMayJoin.then(() => member(batch.sequence(3), (decoder) => greedy(decoder, prompts.c, 10))),
    ]);
    const dNext = await member(batch.sequence(2), (decoder) => greedy(decoder, prompts.dNext, 5));

    assert.equal(dNext.reused, prompts.d.length, 'slot 2 kept its rows through the batches it sat out');
    const expected = {
      a: await alone(prompts.a, 12),
      b: await alone(prompts.b, 6),
      c: await alone(prompts.c, 10),
      dNext: await alone(prompts.dNext, 5, prompts.d),
    };
    for (const [name, actual] of Object.entries({ a, b, c, dNext })) {
      const diff = maxDiff(expected[name as keyof typeof expected].logits, actual.logits);
      assert.ok(diff < 1e-4, `${name}: logits differ by ${diff}`);
    }
  });
}

test('a failed batched run fails the steps of that run only, and the batch goes on', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-batch-'));
  const model = writeSyntheticModel(path.join(root, 'model'), { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 8 });
  const fused = await optimizeModel({ modelPath: path.join(model.dir, model.modelFile), cacheDir: path.join(root, 'optimized'), exact: true });
  assert.ok(fused.status !== 'skipped');
  const session = await ort.InferenceSession.create(fused.modelPath);
  const batch = new BatchedDecoder(session, readGraphSignature(session, 'model.onnx'));
  const vocab = model.config.vocab;
  const broken = member(batch.sequence(0), async (decoder) => {
    decoder.reset(8);
    await decoder.forward([vocab + 1000]);
  });
  await assert.rejects(broken);
  const fine = await member(batch.sequence(0), (decoder) => greedy(decoder, [1, 2, 3], 2));
  assert.equal(fine.logits.length, 3);
});

test('graphs that do not return new KV rows are refused', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-batch-'));
  const model = writeSyntheticModel(path.join(root, 'model'), { arch: 'llama', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'llama', seed: 9 });
  const session = await ort.InferenceSession.create(path.join(model.dir, model.modelFile));
  assert.throws(() => new BatchedDecoder(session, readGraphSignature(session, 'model.onnx')), (error: Error & { code?: string }) => error.code === 'unsupported-graph');
});
