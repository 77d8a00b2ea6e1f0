import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fillRandom } from './fill-random.js';
import { ModelWeights } from './model-weights.js';

describe('ModelWeights', () => {
  test('draws a weight at each call, the same values every time, none kept', () => {
    const weights = new ModelWeights(3);
    weights.random('a', 1000, 0.5, 1);
    const first = weights.get('a')!;
    const again = weights.get('a')!;
    assert.notEqual(first, again);
    assert.deepEqual(first, again);
    assert.deepEqual(first, fillRandom(new Float32Array(1000), 3, 'a', 0.5, 1));
    assert.equal(weights.size('a'), 1000);
    assert.equal(weights.get('b'), undefined);
    assert.equal(weights.size('b'), 0);
  });

  test('transforms apply when drawn; an alias takes the weight as it is then', () => {
    const weights = new ModelWeights(3);
    weights.random('embed', 8, 1);
    weights.random('norm', 4, 1);
    weights.alias('head', 'embed');
    weights.transform('head', (values) => values.map((v) => v * 2));
    assert.deepEqual(weights.get('head'), weights.get('embed')!.map((v) => v * 2));
    assert.deepEqual(weights.names, ['embed', 'norm', 'head']);
    assert.deepEqual(
      [...weights].map(([name, values]) => [name, values.length]),
      [['embed', 8], ['norm', 4], ['head', 8]],
    );
    assert.throws(() => weights.alias('x', 'missing'), /no weight named missing/);
  });
});
