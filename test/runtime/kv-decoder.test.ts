import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { commonPrefixLength } from '../../src/runtime/common-prefix-length.js';
import { readGraphSignature } from '../../src/runtime/graph-signature.js';
import { KvDecoder, type KvStrategy } from '../../src/runtime/kv-decoder.js';
import { optimizeModel } from '../../src/runtime/optimize/index.js';
import { DataType, GraphBuilder } from '../support/synthetic-model/graph-builder.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

async function greedyLogits(decoder: KvDecoder, prompt: number[], steps: number, capacity: number): Promise<Float32Array[]> {
  decoder.reset(capacity);
  const all = [Float32Array.from(await decoder.forward(prompt))];
  for (let i = 0; i < steps; i++) all.push(Float32Array.from(await decoder.forward([argmax(all[all.length - 1])])));
  return all;
}

test('a shared KV buffer gives the same logits as a growing cache, also when it has to grow', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'owm-kv-'));
  const model = writeSyntheticModel(dir, { arch: 'qwen2', style: 'genai', dtype: 'q4', shape: TINY, tokenizer: 'qwen', seed: 4 });
  const session = await ort.InferenceSession.create(path.join(dir, model.modelFile));
  const signature = readGraphSignature(session, model.modelFile);
  const run = (strategy: KvStrategy, capacity: number): Promise<Float32Array[]> =>
    greedyLogits(new KvDecoder(session, signature, strategy), [5, 900, 12000, 77, 4, 301], 300, capacity);
  const grow = await run('grow', 0);
  for (const capacity of [8, 512]) {
    const shared = await run('shared', capacity);
    for (let step = 0; step < grow.length; step++) {
      const diff = grow[step].reduce((max, value, i) => Math.max(max, Math.abs(value - shared[step][i])), 0);
      assert.ok(diff < 1e-4, `capacity ${capacity}, step ${step}: logits differ by ${diff}`);
    }
  }
});

test('position ids continue from the cache, starting at 0, or at 1 for Gemma 3', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'owm-kv-'));
  const file = path.join(dir, 'positions.onnx');
  // A graph whose "logits" echo the position ids it was fed: [1, seq, 1].
  const graph = new GraphBuilder(null);
  graph.input('input_ids', DataType.INT64, ['batch', 'seq']);
  graph.input('attention_mask', DataType.INT64, ['batch', 'total']);
  const positions = graph.input('position_ids', DataType.INT64, ['batch', 'seq']);
  const asFloat = graph.op('Cast', [positions], { attributes: { to: DataType.FLOAT } });
  graph.op('Unsqueeze', [asFloat, graph.int64([2])], { output: 'logits' });
  graph.output('logits', DataType.FLOAT, ['batch', 'seq', 1]);
  graph.finish(file);
  const session = await ort.InferenceSession.create(file);
  const signature = readGraphSignature(session, 'positions.onnx');
  for (const first of [0, 1]) {
    const decoder = new KvDecoder(session, signature, 'grow', first);
    decoder.reset();
    assert.deepEqual(Array.from(await decoder.forward([1, 2, 3])), [first + 2]);
    assert.deepEqual(Array.from(await decoder.forward([4])), [first + 3]);
  }
});

test('a new sequence keeps the cached rows of the prefix it shares with the last one, in every strategy', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-kv-'));
  const optimum = writeSyntheticModel(path.join(root, 'optimum'), { arch: 'llama', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'llama', seed: 5 });
  const genai = writeSyntheticModel(path.join(root, 'genai'), { arch: 'qwen2', style: 'genai', dtype: 'q4', shape: TINY, tokenizer: 'qwen', seed: 5 });
  const fused = await optimizeModel({ modelPath: path.join(optimum.dir, optimum.modelFile), cacheDir: path.join(root, 'optimized'), exact: true });
  assert.ok(fused.status !== 'skipped', fused.status === 'skipped' ? fused.reason : '');
  const graphs: [string, KvStrategy][] = [
    [path.join(optimum.dir, optimum.modelFile), 'grow'],
    [path.join(genai.dir, genai.modelFile), 'grow'],
    [path.join(genai.dir, genai.modelFile), 'shared'],
    [fused.modelPath, 'append'],
  ];
  const prompt = [5, 900, 12000, 77, 4, 301, 9, 10];
  for (const [file, strategy] of graphs) {
    const session = await ort.InferenceSession.create(file);
    const signature = readGraphSignature(session, file);
    const decoder = new KvDecoder(session, signature, strategy);
    const fresh = new KvDecoder(session, signature, strategy);
    // The last sequence: a prompt and six greedy steps, every id fed (the cache holds them all).
    decoder.reset(4);
    let logits = await decoder.forward(prompt);
    const last = [...prompt];
    for (let step = 0; step < 6; step++) {
      last.push(argmax(logits));
      logits = await decoder.forward([last[last.length - 1]]);
    }
    const replay = async (): Promise<void> => {
      decoder.reset(4);
      await decoder.forward(prompt);
      for (const id of last.slice(prompt.length)) await decoder.forward([id]);
    };
    // Next sequences as chat turns make them: the whole last one and more, part of it, all of it.
    for (const next of [[...last, 42], [...last.slice(0, 11), 42, 43, 44], [...last.slice(0, 3), 7], [...last]]) {
      await replay();
      const kept = decoder.startSequence(next, next.length + 4);
      const label = `${path.basename(path.dirname(file))} ${strategy}, ${kept} of ${next.length} kept`;
      assert.equal(kept, Math.min(commonPrefixLength(next, last), next.length - 1), label);
      const reused = Float32Array.from(await decoder.forward(next.slice(kept)));
      fresh.reset(next.length + 4);
      const expected = await fresh.forward(next);
      const diff = expected.reduce((max, value, i) => Math.max(max, Math.abs(value - reused[i])), 0);
      assert.ok(diff < 1e-4, `${label}: logits differ by ${diff}`);
    }
    await session.release();
  }
});
