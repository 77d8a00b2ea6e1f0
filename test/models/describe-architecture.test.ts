import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeArchitecture, formatArchitecture } from '../../src/models/describe-architecture.js';

test('formatArchitecture counts in words: 1 layer, 2 heads', () => {
  const one = describeArchitecture({ model_type: 'llama', num_hidden_layers: 1, num_attention_heads: 1, hidden_size: 64 });
  assert.equal(formatArchitecture(one), 'llama: 1 layer, 1 head, hidden 64');
  const many = describeArchitecture({ model_type: 'qwen2', num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2 });
  assert.equal(formatArchitecture(many), 'qwen2: 24 layers, 14 heads (2 kv)');
});
