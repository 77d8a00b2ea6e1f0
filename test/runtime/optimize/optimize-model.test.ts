import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { readGraphSignature } from '../../../src/runtime/graph-signature.js';
import { KvDecoder } from '../../../src/runtime/kv-decoder.js';
import { FAST_TOLERANCE, optimizeModel, type OptimizeResult } from '../../../src/runtime/optimize/index.js';
import { readOnnxModel } from '../../../src/runtime/optimize/read-onnx-model.js';
import { writeFusedModel } from '../../../src/runtime/optimize/write-fused-model.js';
import { TINY, writeSyntheticModel, type SyntheticArch, type SyntheticDtype, type SyntheticModel } from '../../support/synthetic-model/index.js';

const { onnx } = onnxProto;
const SHAPE = { ...TINY, vocab: 4096 };
const PROMPT = [5, 900, 3000, 77, 4, 301];
const root = mkdtempSync(path.join(os.tmpdir(), 'owm-optimize-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(name: string, arch: SyntheticArch, dtype: SyntheticDtype, options: { style?: 'optimum' | 'genai'; externalData?: boolean } = {}): SyntheticModel {
  return writeSyntheticModel(path.join(root, name), {
    arch,
    style: options.style ?? 'optimum',
    dtype,
    shape: SHAPE,
    tokenizer: arch === 'llama' ? 'llama' : 'qwen',
    seed: 11,
    externalData: options.externalData,
  });
}

function modelPath(model: SyntheticModel): string {
  return path.join(model.dir, model.modelFile);
}

function optimized(result: OptimizeResult): Extract<OptimizeResult, { modelPath: string }> {
  assert.notEqual(result.status, 'skipped', result.status === 'skipped' ? result.reason : '');
  return result as Extract<OptimizeResult, { modelPath: string }>;
}

function readGraph(file: string): Onnx.IGraphProto {
  return onnx.ModelProto.decode(readFileSync(file)).graph ?? {};
}

function accuracyLevels(graph: Onnx.IGraphProto): number[] {
  return (graph.node ?? [])
    .filter((node) => node.opType === 'MatMulNBits')
    .map((node) => Number(node.attribute?.find((a) => a.name === 'accuracy_level')?.i ?? 0));
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Greedy decoding through owm's KvDecoder (with the strategy the graph calls for): the tokens and
 * each step's last-position logits. `capacity` sizes the cache buffers up front.
 */
async function greedy(file: string, steps: number, capacity = PROMPT.length + steps): Promise<{ tokens: number[]; logits: Float32Array[] }> {
  const session = await ort.InferenceSession.create(file);
  try {
    const decoder = new KvDecoder(session, readGraphSignature(session, file));
    decoder.reset(capacity);
    const logits = [Float32Array.from(await decoder.forward(PROMPT))];
    const tokens = [argmax(logits[0])];
    while (tokens.length < steps) {
      logits.push(Float32Array.from(await decoder.forward([tokens[tokens.length - 1]])));
      tokens.push(argmax(logits[logits.length - 1]));
    }
    return { tokens, logits };
  } finally {
    await session.release();
  }
}

function maxRelativeDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((row, step) => {
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < row.length; i++) {
      scale = Math.max(scale, Math.abs(row[i]));
      diff = Math.max(diff, Math.abs(row[i] - b[step][i]));
    }
    worst = Math.max(worst, diff / scale);
  });
  return worst;
}

describe('optimizeModel rewrites optimum exports into the fused form', () => {
  for (const arch of ['llama', 'qwen2'] as const) {
    for (const dtype of ['fp32', 'q4'] as const) {
      test(`${arch} ${dtype}: fused, exact, same greedy tokens, then cached`, async () => {
        const model = write(`${arch}-${dtype}`, arch, dtype);
        const cacheDir = path.join(root, `cache-${arch}-${dtype}`);
        const exact = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: true }));
        assert.equal(exact.status, 'optimized');
        assert.ok(exact.maxLogitDiff < 1e-4, `max logit diff ${exact.maxLogitDiff}`);

        const graph = readGraph(exact.modelPath);
        assert.deepEqual(
          graph.input?.map((input) => input.name).slice(0, 2),
          ['input_ids', 'attention_mask'],
        );
        assert.ok(!graph.input?.some((input) => input.name === 'position_ids'));
        const ops = new Set(graph.node?.map((node) => node.opType));
        for (const op of ['RotaryEmbedding', 'FusedMatMul', 'SkipSimplifiedLayerNormalization', 'SimplifiedLayerNormalization']) assert.ok(ops.has(op), op);
        // Attention reads the cache inputs in place: one product of the queries with each layer's past keys.
        const pastKeyReaders = graph.node?.filter((node) => node.opType === 'FusedMatMul' && node.input?.some((name) => /^past_key_values\.\d+\.key$/.test(name ?? '')));
        assert.equal(pastKeyReaders?.length, SHAPE.layers);
        assert.ok(!ops.has('GroupQueryAttention'));
        if (dtype === 'q4') assert.deepEqual(new Set(accuracyLevels(graph)), new Set([0]));

        const original = await greedy(modelPath(model), 16);
        const fused = await greedy(exact.modelPath, 16);
        assert.deepEqual(fused.tokens, original.tokens);
        assert.ok(maxRelativeDiff(original.logits, fused.logits) < 1e-4);
        // The fused graph returns only the new KV rows; the decoder appends them to its own buffers, also when they must grow.
        const outputs = graph.output?.map((output) => output.name) ?? [];
        assert.ok(outputs.includes('present_rows.0.key') && !outputs.some((name) => name?.startsWith('present.')), outputs.join());
        const session = await ort.InferenceSession.create(exact.modelPath);
        assert.equal(readGraphSignature(session, exact.modelPath).kvOutputs, 'new-rows');
        await session.release();
        const grown = await greedy(exact.modelPath, 16, PROMPT.length);
        assert.deepEqual(grown.tokens, original.tokens);
        assert.ok(maxRelativeDiff(original.logits, grown.logits) < 1e-4);

        const written = statSync(exact.modelPath).mtimeMs;
        const again = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: true }));
        assert.equal(again.status, 'cached');
        assert.equal(statSync(again.modelPath).mtimeMs, written, 'a cached result is used as it is, not rebuilt');
        assert.equal(again.modelPath, exact.modelPath);
        assert.deepEqual(again.changes, exact.changes);

        const fast = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: false }));
        assert.notEqual(fast.modelPath, exact.modelPath);
        if (dtype === 'q4') {
          assert.deepEqual(new Set(accuracyLevels(readGraph(fast.modelPath))), new Set([4]));
          assert.ok(fast.changes.some((change) => change.includes('accuracy_level')));
          assert.ok(fast.maxLogitDiff < 0.05, `accuracy_level 4 drift ${fast.maxLogitDiff}`);
        }
        const fastRun = await greedy(fast.modelPath, 16);
        assert.ok(maxRelativeDiff(original.logits, fastRun.logits) < 0.05);
      });
    }
  }

  for (const style of ['optimum', 'genai'] as const) {
    test(`${style} q4 with reblock: re-blocked weights written into the entry, checked, cached apart from the plain rewrite`, async () => {
      const model = write(`reblock-${style}`, 'qwen2', 'q4', { style, externalData: true });
      const cacheDir = path.join(root, `cache-reblock-${style}`);
      const fast = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: false }));
      const reblocked = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: false, reblock: 64 }));
      assert.notEqual(reblocked.modelPath, fast.modelPath);
      assert.ok(reblocked.changes.some((change) => /MatMulNBits re-quantized into blocks of 64/.test(change)), reblocked.changes.join('; '));
      assert.ok(reblocked.changes.some((change) => change.startsWith('re-blocked weights written')), reblocked.changes.join('; '));
      const blockSizes = (readGraph(reblocked.modelPath).node ?? [])
        .filter((node) => node.opType === 'MatMulNBits')
        .map((node) => Number(node.attribute?.find((a) => a.name === 'block_size')?.i));
      assert.ok(blockSizes.length > 0 && blockSizes.every((size) => size === 64), blockSizes.join());
      assert.ok(readdirSync(path.dirname(reblocked.modelPath)).includes('reblocked.data'));
      assert.ok(!readdirSync(path.dirname(fast.modelPath)).includes('reblocked.data'));
      // Further from the original than the plain rewrite, within the check's bound, and it runs.
      assert.ok(reblocked.maxLogitDiff > fast.maxLogitDiff && reblocked.maxLogitDiff < 1, `${reblocked.maxLogitDiff} vs ${fast.maxLogitDiff}`);
      const run = await greedy(reblocked.modelPath, 8);
      assert.ok(run.logits.every((row) => row.every(Number.isFinite)));
      const again = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: false, reblock: 64 }));
      assert.equal(again.status, 'cached');
      assert.equal(again.modelPath, reblocked.modelPath);
      // exact keeps the published weights whatever else is asked.
      const exact = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir, exact: true, reblock: 64 }));
      assert.ok(!exact.changes.some((change) => change.includes('re-quantized')), exact.changes.join('; '));
    });
  }

  test('weights in an external data file are shared by hard link, not copied', async () => {
    const model = write('external', 'qwen2', 'q4', { externalData: true });
    const result = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir: path.join(root, 'cache-external'), exact: true }));
    assert.ok(result.changes.some((change) => change.includes('hard links')));
    const folder = path.dirname(result.modelPath);
    const link = readdirSync(folder).find((name) => name.endsWith('model_q4.onnx_data'));
    assert.ok(link, readdirSync(folder).join());
    assert.equal(statSync(path.join(folder, link)).ino, statSync(path.join(model.dir, 'onnx/model_q4.onnx_data')).ino);
    // The graph itself stays small: the weights are referenced by offset.
    assert.ok(statSync(result.modelPath).size < 200_000, `${statSync(result.modelPath).size} bytes`);
    const original = await greedy(modelPath(model), 8);
    assert.deepEqual((await greedy(result.modelPath, 8)).tokens, original.tokens);
  });
});

describe('optimizeModel adapts onnxruntime-genai exports, whatever their architecture', () => {
  for (const dtype of ['fp32', 'q4'] as const) {
    test(`genai ${dtype}: attention reads the cache in place, KV outputs with only the new rows, logits of the last num_logits_to_keep positions, same greedy tokens`, async () => {
      const model = write(`genai-${dtype}`, 'qwen2', dtype, { style: 'genai' });
      // Only genai_config.json describes the model: the adaptation needs no config.json.
      rmSync(path.join(model.dir, 'config.json'));
      const result = optimized(await optimizeModel({ modelPath: modelPath(model), cacheDir: path.join(root, `cache-genai-${dtype}`), exact: false }));
      // The q4 export's MatMulNBits quantize their activations (accuracy_level 4): float reordering becomes int8 rounding flips.
      const bound = dtype === 'q4' ? FAST_TOLERANCE : 1e-4;
      assert.ok(result.maxLogitDiff < bound, `max logit diff ${result.maxLogitDiff}`);
      assert.equal(result.changes.some((change) => change.includes("original's own int8 activations")), dtype === 'q4', result.changes.join('; '));
      assert.ok(result.changes.some((change) => change.includes('lm_head on the last num_logits_to_keep positions')), result.changes.join('; '));
      assert.ok(result.changes.includes(`GroupQueryAttention of ${SHAPE.layers} layers → attention reading the KV cache in place`), result.changes.join('; '));

      const original = readOnnxModel(modelPath(model)).graph ?? {};
      const adapted = readGraph(result.modelPath);
      const count = (graph: Onnx.IGraphProto, op: string): number => graph.node?.filter((node) => node.opType === op).length ?? 0;
      assert.equal(count(adapted, 'SkipSimplifiedLayerNormalization'), count(original, 'SkipSimplifiedLayerNormalization'));
      assert.equal(count(adapted, 'GroupQueryAttention'), 0);
      assert.equal(count(adapted, 'RotaryEmbedding'), 2 * SHAPE.layers);
      const outputs = adapted.output?.map((output) => output.name) ?? [];
      assert.equal(outputs.filter((name) => name?.startsWith('present_rows.')).length, 2 * SHAPE.layers);
      assert.ok(!outputs.some((name) => name?.startsWith('present.')), outputs.join());
      assert.equal(adapted.output?.find((output) => output.name === 'logits')?.type?.tensorType?.shape?.dim?.[1]?.dimParam, 'kept_positions');
      assert.ok(adapted.input?.some((input) => input.name === 'num_logits_to_keep'));

      const expected = await greedy(modelPath(model), 16);
      const actual = await greedy(result.modelPath, 16, PROMPT.length);
      // Greedy tokens can part at near-ties once int8 rounding flips come in.
      if (dtype === 'fp32') assert.deepEqual(actual.tokens, expected.tokens);
      assert.ok(maxRelativeDiff(expected.logits, actual.logits) < bound);
    });
  }

  test('a GroupQueryAttention with a feature the rewrite does not cover stays, its new rows gathered', async () => {
    const model = write('genai-window', 'qwen2', 'fp32', { style: 'genai' });
    const proto = readOnnxModel(modelPath(model));
    const first = proto.graph?.node?.find((node) => node.opType === 'GroupQueryAttention');
    // A sliding window wider than any context here: the same results, but not a node cache attention rewrites.
    for (const a of first?.attribute ?? []) if (a.name === 'local_window_size') a.i = 4096;
    const dir = path.join(root, 'genai-window-edited');
    mkdirSync(dir);
    for (const name of ['genai_config.json', 'config.json']) copyFileSync(path.join(model.dir, name), path.join(dir, name));
    const file = writeFusedModel(proto, dir, 'model.onnx').modelPath;
    const result = optimized(await optimizeModel({ modelPath: file, cacheDir: path.join(root, 'cache-genai-window'), exact: true }));
    assert.ok(result.changes.includes('GroupQueryAttention of 1 layer → attention reading the KV cache in place'), result.changes.join('; '));
    const adapted = readGraph(result.modelPath);
    assert.equal(adapted.node?.filter((node) => node.opType === 'GroupQueryAttention').length, 1);
    assert.equal(adapted.output?.filter((output) => output.name?.startsWith('present_rows.')).length, 2 * SHAPE.layers);
    const expected = await greedy(file, 16);
    const actual = await greedy(result.modelPath, 16, PROMPT.length);
    assert.deepEqual(actual.tokens, expected.tokens);
    assert.ok(maxRelativeDiff(expected.logits, actual.logits) < 1e-4);
  });
});

describe('optimizeModel skips what it cannot rewrite, with a reason', () => {
  const skipped = async (file: string, cacheName: string): Promise<string> => {
    const result = await optimizeModel({ modelPath: file, cacheDir: path.join(root, cacheName), exact: true });
    assert.equal(result.status, 'skipped');
    return result.status === 'skipped' ? result.reason : '';
  };

  test('a float16 KV cache is left alone', async () => {
    const model = write('fp16', 'llama', 'fp16');
    assert.match(await skipped(modelPath(model), 'cache-fp16'), /float16/);
  });

  test('a graph whose layer lacks the q_proj scope is refused, and the refusal is cached', async () => {
    const model = write('odd-source', 'llama', 'fp32');
    const dir = path.join(root, 'odd');
    mkdirSync(dir);
    copyFileSync(path.join(model.dir, 'config.json'), path.join(dir, 'config.json'));
    // The synthetic file spreads its graph over two protobuf fields; readOnnxModel merges them.
    const proto = readOnnxModel(modelPath(model));
    for (const node of proto.graph?.node ?? []) node.name = (node.name ?? '').replace('/layers.1/self_attn/q_proj/', '/layers.1/self_attn/query/');
    const file = writeFusedModel(proto, dir, 'model.onnx').modelPath;
    assert.match(await skipped(file, 'cache-odd'), /layers\.1\/self_attn\/q_proj/);
    assert.match(await skipped(file, 'cache-odd'), /layers\.1\/self_attn\/q_proj/);
    assert.deepEqual(readdirSync(path.join(root, 'cache-odd')).length, 1);
  });

  test('a config that does not match the weights fails the check', async () => {
    const model = write('wrong-theta', 'qwen2', 'fp32');
    const configPath = path.join(model.dir, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    writeFileSync(configPath, JSON.stringify({ ...config, rope_theta: 500000 }));
    assert.match(await skipped(modelPath(model), 'cache-theta'), /check of the rewrite failed/);
  });

  test('an architecture the optimizer does not know is refused before reading the graph', async () => {
    const model = write('gemma', 'llama', 'fp32');
    const configPath = path.join(model.dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), model_type: 'gemma' }));
    assert.match(await skipped(modelPath(model), 'cache-gemma'), /gemma/);
  });
});
