import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { readOnnxModel } from '../../../src/runtime/optimize/read-onnx-model.js';
import { reblockWeights } from '../../../src/runtime/optimize/reblock-weights.js';
import { writeFusedModel } from '../../../src/runtime/optimize/write-fused-model.js';
import { DataType, GraphBuilder } from '../../support/synthetic-model/graph-builder.js';
import { quantizeQ4 } from '../../support/synthetic-model/quantize-q4.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'owm-reblock-'));
after(() => rmSync(root, { recursive: true, force: true }));
const N = 48;

/** A graph of one `MatMulNBits` (blocks of 32, float32 arithmetic) over `weight` ([N, k]); the scales are also an output of their own. */
function projectionGraph(name: string, weight: Float32Array, k: number, options: { zeroPoints?: boolean } = {}): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const graph = new GraphBuilder({ path: path.join(dir, 'model.onnx_data'), location: 'model.onnx_data' });
  const blocks = Math.ceil(k / 32);
  const q = quantizeQ4(weight, N, k);
  const inputs = [
    graph.input('x', DataType.FLOAT, ['rows', k]),
    graph.initializer('w_q4', DataType.UINT8, [N, blocks, 16], q.packed),
    graph.initializer('w_scales', DataType.FLOAT, [N * blocks], q.scales),
  ];
  // Explicit zero points of 8 stand for the same weights as none.
  if (options.zeroPoints) inputs.push(graph.initializer('w_zero_points', DataType.UINT8, [N * Math.ceil(blocks / 2)], new Uint8Array(N * Math.ceil(blocks / 2)).fill(0x88)));
  graph.op('MatMulNBits', inputs, { domain: 'com.microsoft', attributes: { K: k, N, bits: 4, block_size: 32, accuracy_level: 0 }, output: 'y' });
  graph.op('Identity', ['w_scales'], { output: 'scales' });
  graph.output('y', DataType.FLOAT, ['rows', N]);
  graph.output('scales', DataType.FLOAT, [N * blocks]);
  const file = path.join(dir, 'model.onnx');
  graph.finish(file);
  return file;
}

function reblocked(file: string, size: 64 | 128): { file: string; maxRelativeChange: number; reblocked: number } {
  const dir = `${path.dirname(file)}-b${size}`;
  mkdirSync(dir);
  const result = reblockWeights(readOnnxModel(file), path.join(dir, 'reblocked.data'), size);
  return { file: writeFusedModel(result.model, dir, 'model.onnx').modelPath, maxRelativeChange: result.maxRelativeChange, reblocked: result.reblocked };
}

async function project(file: string, x: Float32Array, k: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [x.length / k, k]) }, ['y']);
    return Float32Array.from(y.data as Float32Array);
  } finally {
    await session.release();
  }
}

function relativeDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

/** Deterministic values in [-1, 1). */
function noise(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** Weights whose every 32-block has the extreme -1, so that blocks of 64 and 128 share its scale: re-blocking loses nothing. */
function sharedScaleWeights(k: number): Float32Array {
  const weight = noise(N * k, 3).map((w) => w * 0.8);
  for (let row = 0; row < N; row++) for (let i = 0; i < k; i += 32) weight[row * k + i] = -1;
  return weight;
}

describe('reblockWeights re-quantizes MatMulNBits weights into larger blocks', () => {
  for (const size of [64, 128] as const) {
    for (const zeroPoints of [false, true]) {
      test(`blocks of ${size}${zeroPoints ? ', explicit zero points' : ''}: weights representable in them come out the same`, async () => {
        const k = 256;
        const original = projectionGraph(`shared-${size}-${zeroPoints}`, sharedScaleWeights(k), k, { zeroPoints });
        const result = reblocked(original, size);
        assert.equal(result.reblocked, 1);
        assert.equal(result.maxRelativeChange, 0);
        const model = readOnnxModel(result.file);
        const node = (model.graph?.node ?? []).find((n) => n.opType === 'MatMulNBits');
        assert.equal(Number(node?.attribute?.find((a) => a.name === 'block_size')?.i), size);
        assert.equal(node?.input?.length, 3, 'zero points dropped: the new blocks are symmetric');
        const names = (model.graph?.initializer ?? []).map((t) => t.name).sort();
        // The original scales stay for the node that still reads them; the original 4-bit weights go.
        assert.deepEqual(names, ['w_q4_b' + size, 'w_scales', 'w_scales_b' + size].sort());
        const x = noise(3 * k, 7);
        assert.ok(relativeDiff(await project(original, x, k), await project(result.file, x, k)) < 1e-5);
      });
    }
  }

  test('a K that is not a multiple of the block: the last block is partial, and representable weights still come out the same', async () => {
    const k = 160;
    const original = projectionGraph('ragged', sharedScaleWeights(k), k);
    const result = reblocked(original, 128);
    assert.equal(result.maxRelativeChange, 0);
    const x = noise(2 * k, 9);
    assert.ok(relativeDiff(await project(original, x, k), await project(result.file, x, k)) < 1e-5);
  });

  test('random weights move by the coarser grid, and the products with them', async () => {
    const k = 512;
    const original = projectionGraph('random', noise(N * k, 5), k);
    const x = noise(4 * k, 11);
    const expected = await project(original, x, k);
    const changes: number[] = [];
    for (const size of [64, 128] as const) {
      const result = reblocked(original, size);
      assert.ok(result.maxRelativeChange > 0.01 && result.maxRelativeChange < 0.2, `relative change ${result.maxRelativeChange}`);
      const diff = relativeDiff(expected, await project(result.file, x, k));
      assert.ok(diff > 1e-4 && diff < 0.2, `relative output change ${diff}`);
      changes.push(result.maxRelativeChange);
    }
    assert.ok(changes[1] > changes[0], 'blocks of 128 move the weights further than blocks of 64');
  });
});
