import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDecoderConfig } from '../../../src/runtime/optimize/read-decoder-config.js';

const LLAMA = {
  model_type: 'llama',
  hidden_act: 'silu',
  hidden_size: 2048,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  num_hidden_layers: 16,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 131072,
  rope_theta: 500000,
  rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
};

const read = (json: object): ReturnType<typeof readDecoderConfig> => readDecoderConfig(JSON.stringify(json));

test('reads a Llama 3.2 config, head_dim derived from the hidden size', () => {
  assert.deepEqual(read(LLAMA), {
    modelType: 'llama',
    layers: 16,
    hidden: 2048,
    heads: 32,
    kvHeads: 8,
    headDim: 64,
    rmsNormEps: 1e-5,
    maxPositions: 131072,
    ropeTheta: 500000,
    ropeScaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
  });
  assert.equal(read({ ...LLAMA, head_dim: 128 }).headDim, 128);
  assert.equal(read({ ...LLAMA, num_key_value_heads: undefined }).kvHeads, 32);
  assert.deepEqual(read({ ...LLAMA, rope_scaling: null }).ropeScaling, { type: 'default' });
});

test('refuses what the fused graph would compute differently, saying why', () => {
  const refusals: [object, RegExp][] = [
    [{ ...LLAMA, model_type: 'qwen3' }, /architecture qwen3/],
    [{ ...LLAMA, hidden_act: 'gelu' }, /activation gelu/],
    [{ ...LLAMA, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope scaling yarn/],
    [{ ...LLAMA, model_type: 'qwen2', use_sliding_window: true }, /sliding-window/],
    [{ ...LLAMA, model_type: 'mistral', sliding_window: 4096 }, /sliding-window/],
    [{ ...LLAMA, partial_rotary_factor: 0.5 }, /partial rotary/],
    [{ ...LLAMA, rms_norm_eps: undefined }, /rms_norm_eps/],
  ];
  for (const [json, reason] of refusals) assert.throws(() => read(json), { code: 'not-optimizable', message: reason });
  assert.throws(() => readDecoderConfig('{'), { code: 'not-optimizable' });
  assert.equal(read({ ...LLAMA, model_type: 'mistral', sliding_window: null }).modelType, 'mistral');
});
