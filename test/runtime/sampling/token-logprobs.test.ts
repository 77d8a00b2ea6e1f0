import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenLogprobs } from '../../../src/runtime/sampling/index.js';

test('tokenLogprobs is the log-softmax of the logits, with the best alternatives first', () => {
  const logits = Float32Array.from([1, 3, 2, 3.5, -1]);
  const normalizer = Math.log([...logits].reduce((sum, logit) => sum + Math.exp(logit), 0));
  const { logprob, top } = tokenLogprobs(logits, 2, 3);
  assert.ok(Math.abs(logprob - (2 - normalizer)) < 1e-9);
  assert.deepEqual(top.map((entry) => entry.id), [3, 1, 2]);
  top.forEach((entry) => assert.ok(Math.abs(entry.logprob - ((logits[entry.id] as number) - normalizer)) < 1e-9));
  assert.deepEqual(tokenLogprobs(logits, 0, 0).top, []);
});
