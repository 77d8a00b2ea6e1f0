import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BENCH_MODELS, type BenchModel } from '../../bench/bench-models.js';
import { prepareModel } from '../../bench/prepare-model.js';
import { TINY } from '../support/synthetic-model/index.js';

describe('prepareModel', () => {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'owm-bench-models-'));
  after(() => rmSync(cache, { recursive: true, force: true }));
  const tiny: BenchModel = {
    arch: 'llama',
    shape: { ...TINY, vocab: 1024 },
    tokenizer: 'llama',
    seed: 9,
    id: 'tiny-q4',
    label: 'Tiny q4',
    style: 'optimum',
    dtype: 'q4',
    externalData: false,
    transformersDtype: 'q4',
    ggufType: 'Q4_0',
  };

  test('reuses the folder when only the plan changes, rewrites it when the weights do', () => {
    assert.ok(prepareModel(tiny, cache).writeSeconds > 0);
    assert.equal(prepareModel({ ...tiny, plan: { shortReps: 1, chartContexts: [] } }, cache).writeSeconds, 0);
    assert.ok(prepareModel({ ...tiny, seed: 10 }, cache).writeSeconds > 0);
  });

  test('refuses, saying why, a model whose weights the writer cannot hold in this machine’s memory', { skip: os.totalmem() > 40e9 && 'this machine could write the 7B shape' }, () => {
    const mistral = BENCH_MODELS.find((model) => model.id === 'mistral-7b-int4-genai') as BenchModel;
    assert.throws(() => prepareModel(mistral, cache), /writing its 7\.24 billion random weights takes about 36\.\d GB of memory .*more than this machine's/);
  });
});
