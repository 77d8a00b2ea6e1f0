import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { onnx as Onnx } from 'onnx-proto';
import { readOnnxModel } from '../../../src/runtime/optimize/read-onnx-model.js';
import { DataType, GraphBuilder } from '../../support/synthetic-model/graph-builder.js';

function externalData(tensor: Onnx.ITensorProto | undefined): Record<string, string> {
  return Object.fromEntries((tensor?.externalData ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
}

function bytesAt(file: string, offset: number, length: number): Float32Array {
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return new Float32Array(buffer.buffer, buffer.byteOffset, length / 4);
}

function writeModel(file: string, external: { path: string; location: string } | null): { big: Float32Array; small: Float32Array } {
  const big = Float32Array.from({ length: 600 }, (_, i) => i / 7);
  const small = Float32Array.from([1, 2, 3]);
  const graph = new GraphBuilder(external);
  const x = graph.input('x', DataType.FLOAT, [600]);
  const bigName = graph.initializer('big', DataType.FLOAT, [600], big);
  const smallName = graph.initializer('small', DataType.FLOAT, [3], small);
  graph.op('Add', [x, bigName], { name: '/add', output: 'y' });
  graph.op('Identity', [smallName], { name: '/identity', output: 'z' });
  graph.output('y', DataType.FLOAT, [600]);
  graph.output('z', DataType.FLOAT, [3]);
  graph.finish(file);
  return { big, small };
}

test('large inline tensors become references into the .onnx file; small ones stay in memory', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'owm-read-onnx-'));
  const file = path.join(dir, 'model.onnx');
  const { big, small } = writeModel(file, null);
  const model = readOnnxModel(file);
  // The generator writes inline weights in a second graph field: both halves are merged.
  assert.deepEqual(model.graph?.node?.map((node) => node.name), ['/add', '/identity']);
  const tensors = new Map(model.graph?.initializer?.map((tensor) => [tensor.name, tensor]));
  const reference = externalData(tensors.get('big'));
  assert.equal(reference.location, file);
  assert.equal(Number(reference.length), big.byteLength);
  assert.deepEqual(bytesAt(file, Number(reference.offset), big.byteLength), big);
  assert.equal(tensors.get('big')?.rawData?.length ?? 0, 0);
  assert.deepEqual(new Float32Array(Uint8Array.from(tensors.get('small')?.rawData ?? []).buffer), small);
});

test('tensors already in an external data file keep their offsets, with an absolute location', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'owm-read-onnx-'));
  const file = path.join(dir, 'model.onnx');
  const { big } = writeModel(file, { path: path.join(dir, 'model.onnx_data'), location: 'model.onnx_data' });
  const reference = externalData(readOnnxModel(file).graph?.initializer?.find((tensor) => tensor.name === 'big'));
  assert.equal(reference.location, path.join(dir, 'model.onnx_data'));
  assert.deepEqual(bytesAt(reference.location, Number(reference.offset), big.byteLength), big);
});

test('a file that is not protobuf is refused as not optimizable', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-read-onnx-')), 'model.onnx');
  writeFileSync(file, 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n');
  assert.throws(() => readOnnxModel(file), { code: 'not-optimizable' });
});
