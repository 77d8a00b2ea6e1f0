import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partialMatchLength } from '../../src/runtime/partial-match-length.js';

test('partialMatchLength: the longest tail that is a proper prefix of a pattern', () => {
  assert.equal(partialMatchLength('Hello <|e', ['<|end|>']), 3);
  assert.equal(partialMatchLength('Hello <', ['<|end|>', '###']), 1);
  assert.equal(partialMatchLength('Hello ##', ['<|end|>', '###']), 2);
  assert.equal(partialMatchLength('Hello', ['<|end|>']), 0);
  // A whole pattern is a match, not a partial one.
  assert.equal(partialMatchLength('ab', ['ab']), 0);
  assert.equal(partialMatchLength('x###', ['###']), 2);
  assert.equal(partialMatchLength('aa', ['aab']), 2);
  assert.equal(partialMatchLength('', ['a']), 0);
  assert.equal(partialMatchLength('abc', []), 0);
});
