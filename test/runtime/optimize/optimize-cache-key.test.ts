import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { optimizeCacheKey } from '../../../src/runtime/optimize/optimize-cache-key.js';

test('the cache key follows every file the graph reads: a new external-data blob behind the same names is a new key', () => {
  // The Hugging Face cache's shape: snapshot files are links to blobs named by their hash.
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-cache-key-'));
  const blobs = path.join(root, 'blobs');
  const snapshot = path.join(root, 'snapshot', 'onnx');
  mkdirSync(blobs);
  mkdirSync(snapshot, { recursive: true });
  writeFileSync(path.join(blobs, 'graph'), 'graph bytes');
  writeFileSync(path.join(blobs, 'weights-a'), 'old weights');
  writeFileSync(path.join(blobs, 'weights-b'), 'new weights');
  symlinkSync(path.join(blobs, 'graph'), path.join(snapshot, 'model_q4.onnx'));
  symlinkSync(path.join(blobs, 'weights-a'), path.join(snapshot, 'model_q4.onnx_data'));
  const params = { modelPath: path.join(snapshot, 'model_q4.onnx'), configText: '{}', exact: false, tolerance: 0.2, version: 1 };
  const before = optimizeCacheKey(params);
  assert.equal(optimizeCacheKey(params), before, 'stable');
  unlinkSync(path.join(snapshot, 'model_q4.onnx_data'));
  symlinkSync(path.join(blobs, 'weights-b'), path.join(snapshot, 'model_q4.onnx_data'));
  assert.notEqual(optimizeCacheKey(params), before, 'weights-only update');
  assert.notEqual(optimizeCacheKey({ ...params, exact: true }), optimizeCacheKey(params), 'options');
  assert.notEqual(optimizeCacheKey({ ...params, version: 2 }), optimizeCacheKey(params), 'optimizer version');
});
