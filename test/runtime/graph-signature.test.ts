import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { RuntimeError } from '../../src/errors.js';
import { readGraphSignature } from '../../src/runtime/graph-signature.js';
import { DataType, GraphBuilder } from '../support/synthetic-model/graph-builder.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

async function session(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file);
}

test('reads both export styles: position_ids, cache names and dtypes, shapes', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-signature-'));
  const optimum = writeSyntheticModel(path.join(root, 'optimum'), { arch: 'llama', style: 'optimum', dtype: 'fp16', shape: TINY, tokenizer: 'llama', seed: 1 });
  const genai = writeSyntheticModel(path.join(root, 'genai'), { arch: 'llama', style: 'genai', dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 1 });

  const fp16 = readGraphSignature(await session(path.join(optimum.dir, optimum.modelFile)), optimum.modelFile);
  assert.equal(fp16.hasPositionIds, true);
  assert.equal(fp16.kvType, 'float16');
  assert.equal(fp16.kvOutputs, 'full');
  assert.equal(fp16.layers.length, TINY.layers);
  assert.equal(fp16.kvHeads, TINY.kvHeads);
  assert.equal(fp16.headDim, TINY.hidden / TINY.heads);
  assert.deepEqual(fp16.layers[1], {
    pastKey: 'past_key_values.1.key',
    pastValue: 'past_key_values.1.value',
    presentKey: 'present.1.key',
    presentValue: 'present.1.value',
  });

  const gqa = readGraphSignature(await session(path.join(genai.dir, genai.modelFile)), genai.modelFile);
  assert.equal(gqa.hasPositionIds, false, 'rotary is fused into GroupQueryAttention');
  assert.equal(gqa.kvType, 'float32');
  assert.equal(gqa.layers.length, TINY.layers);
});

test('a graph with inputs owm does not understand is refused, naming them', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'owm-signature-'));
  const file = path.join(dir, 'vision.onnx');
  const graph = new GraphBuilder(null);
  const ids = graph.input('input_ids', DataType.INT64, ['batch', 'seq']);
  const pixels = graph.input('pixel_values', DataType.FLOAT, ['batch', 3, 8, 8]);
  const flat = graph.op('Cast', [ids], { attributes: { to: DataType.FLOAT } });
  const mean = graph.op('ReduceMean', [pixels], { attributes: { keepdims: 0 } });
  graph.op('Add', [flat, mean], { output: 'logits' });
  graph.output('logits', DataType.FLOAT, ['batch', 'seq']);
  graph.finish(file);
  await assert.rejects(async () => readGraphSignature(await session(file), 'vision.onnx'), (error: unknown) => {
    assert.ok(error instanceof RuntimeError);
    assert.match(error.message, /vision\.onnx is not a decoder-only LLM graph owm can run \(inputs owm does not understand: pixel_values\)/);
    return true;
  });
});
