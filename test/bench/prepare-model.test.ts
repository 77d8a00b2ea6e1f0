import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { BenchModel } from '../../bench/bench-models.js';
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
});
