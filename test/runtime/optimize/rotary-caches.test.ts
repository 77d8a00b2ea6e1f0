import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inverseFrequencies, rotaryCaches } from '../../../src/runtime/optimize/rotary-caches.js';
import type { DecoderConfig } from '../../../src/runtime/optimize/types.js';

const BASE: DecoderConfig = {
  modelType: 'llama',
  layers: 1,
  hidden: 128,
  heads: 2,
  kvHeads: 1,
  headDim: 64,
  rmsNormEps: 1e-5,
  maxPositions: 16,
  ropeTheta: 500000,
  ropeScaling: { type: 'default' },
};

test('default frequencies are theta^(-2i/d), and the caches hold cos/sin of position times them', () => {
  const frequencies = inverseFrequencies(BASE);
  assert.equal(frequencies.length, 32);
  assert.equal(frequencies[0], 1);
  assert.ok(Math.abs(frequencies[16] - 500000 ** -0.5) < 1e-9);
  const caches = rotaryCaches(BASE);
  assert.equal(caches.rows, 16);
  assert.equal(caches.cos.length, 16 * 32);
  assert.ok(Math.abs(caches.cos[3 * 32 + 5] - Math.cos(3 * frequencies[5])) < 1e-6);
  assert.ok(Math.abs(caches.sin[15 * 32 + 1] - Math.sin(15 * frequencies[1])) < 1e-6);
});

test('linear scaling divides every frequency by the factor', () => {
  const plain = inverseFrequencies(BASE);
  const scaled = inverseFrequencies({ ...BASE, ropeScaling: { type: 'linear', factor: 4 } });
  plain.forEach((value, i) => assert.ok(Math.abs(scaled[i] - value / 4) < 1e-9));
});

test('llama3 scaling keeps high frequencies, divides low ones and blends those between (Llama 3.2 settings)', () => {
  const plain = inverseFrequencies(BASE);
  const scaled = inverseFrequencies({
    ...BASE,
    ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
  });
  const wavelength = (i: number): number => (2 * Math.PI) / plain[i];
  const high = plain.findIndex((_, i) => wavelength(i) >= 8192 / 4) - 1;
  const low = plain.findIndex((_, i) => wavelength(i) > 8192);
  assert.ok(high > 0 && low > high + 1);
  assert.equal(scaled[high], plain[high]);
  assert.ok(Math.abs(scaled[low] - plain[low] / 32) < 1e-12);
  const middle = high + 1;
  assert.ok(scaled[middle] < plain[middle] && scaled[middle] > plain[middle] / 32);
});
