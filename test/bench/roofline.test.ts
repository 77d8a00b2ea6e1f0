import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { kvBytesPerContextToken, rooflineTokensPerSecond, weightTraffic } from '../../bench/roofline.js';
import { TINY, writeSyntheticModel, type SyntheticDtype, type SyntheticModel, type SyntheticStyle } from '../support/synthetic-model/index.js';

const root = mkdtempSync(join(tmpdir(), 'owm-bench-roofline-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SHAPE = { ...TINY, vocab: 4096 };
const written = new Map<string, { model: SyntheticModel; path: string }>();

function write(style: SyntheticStyle, dtype: SyntheticDtype, externalData: boolean): { model: SyntheticModel; path: string } {
  const key = `${style}-${dtype}-${externalData}`;
  const dir = join(root, key);
  if (!written.has(key)) {
    const model = writeSyntheticModel(dir, { arch: 'llama', style, dtype, shape: SHAPE, tokenizer: 'llama', seed: 3, externalData });
    written.set(key, { model, path: join(dir, model.modelFile) });
  }
  return written.get(key)!;
}

test('fp32: every weight but the embedding under Gather is read each token, external data or not', () => {
  for (const externalData of [false, true]) {
    const { model, path } = write('optimum', 'fp32', externalData);
    const traffic = weightTraffic(path);
    let matrices = 0;
    for (const [name, weight] of model.weights) if (name !== 'model.embed_tokens.weight') matrices += weight.byteLength;
    const embedding = model.config.vocab * model.config.hidden * 4;
    assert.equal(traffic.indexedBytes, embedding);
    // Besides the weights, the graph holds a few small constants.
    assert.ok(traffic.bytesPerToken >= matrices && traffic.bytesPerToken < matrices + 65536, `${traffic.bytesPerToken} vs ${matrices}`);
  }
});

test('q4 reads packed 4-bit weights and their scales; genai rotary caches are indexed', () => {
  const fp32 = weightTraffic(write('optimum', 'fp32', false).path);
  const q4 = weightTraffic(write('optimum', 'q4', true).path);
  assert.ok(q4.bytesPerToken < fp32.bytesPerToken * 0.25, `${q4.bytesPerToken} vs ${fp32.bytesPerToken}`);
  const genai = weightTraffic(write('genai', 'q4', true).path);
  assert.ok(genai.indexedBytes > q4.indexedBytes, 'cos_cache and sin_cache count as indexed');
});

test('KV bytes per context token and the roofline', () => {
  assert.equal(kvBytesPerContextToken(write('optimum', 'fp32', false).model.config), 2 * TINY.layers * TINY.kvHeads * (TINY.hidden / TINY.heads) * 4);
  assert.equal(rooflineTokensPerSecond(1e8, 2e10), 200);
});
