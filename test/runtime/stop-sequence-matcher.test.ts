import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StopSequenceMatcher } from '../../src/runtime/stop-sequence-matcher.js';

/** Feeds the pieces; returns what was emitted and whether it stopped. */
function run(stops: string[], pieces: string[]) {
  const matcher = new StopSequenceMatcher(stops);
  const emitted: string[] = [];
  for (const piece of pieces) {
    const { emit, stopped } = matcher.push(piece);
    emitted.push(emit);
    if (stopped) return { emitted, stopped: true };
  }
  emitted.push(matcher.flush());
  return { emitted, stopped: false };
}

describe('StopSequenceMatcher', () => {
  test('holds back a possible start of a stop string, then stops without emitting it', () => {
    assert.deepEqual(run(['User:'], ['Hello Us', 'er: more']), { emitted: ['Hello ', ''], stopped: true });
  });

  test('releases held text that turned out not to be a stop string', () => {
    assert.deepEqual(run(['User:'], ['Hello U', 'nder', ' the sea']), {
      emitted: ['Hello ', 'Under', ' the sea', ''],
      stopped: false,
    });
  });

  test('emits the text before a stop string that ends a piece', () => {
    assert.deepEqual(run(['\n\n'], ['one\n', '\ntwo']), { emitted: ['one', ''], stopped: true });
    assert.deepEqual(run(['###'], ['a###b']), { emitted: ['a'], stopped: true });
  });

  test('flush returns the held tail when generation ends', () => {
    assert.deepEqual(run(['</answer>'], ['42</ans']), { emitted: ['42', '</ans'], stopped: false });
  });

  test('stops at the earliest of several stop strings', () => {
    assert.deepEqual(run(['END', 'x'], ['abxENDc']), { emitted: ['ab'], stopped: true });
  });

  test('a stop string spread over many one-character pieces', () => {
    const pieces = [...'say <|end|> bye'];
    const { emitted, stopped } = run(['<|end|>'], pieces);
    assert.equal(stopped, true);
    assert.equal(emitted.join(''), 'say ');
  });

  test('after a stop, further pieces give nothing', () => {
    const matcher = new StopSequenceMatcher(['.']);
    assert.deepEqual(matcher.push('a.b'), { emit: 'a', stopped: true });
    assert.deepEqual(matcher.push('more'), { emit: '', stopped: true });
    assert.equal(matcher.flush(), '');
  });

  test('no stop strings (or only empty ones): text passes straight through', () => {
    assert.deepEqual(run([], ['a', 'b']), { emitted: ['a', 'b', ''], stopped: false });
    assert.deepEqual(run([''], ['a', 'b']), { emitted: ['a', 'b', ''], stopped: false });
  });

  test('any split of a text emits exactly the text before the first stop', () => {
    let state = 7;
    const next = (bound: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % bound;
    };
    const stops = ['abc', 'bcd', 'cc'];
    for (let round = 0; round < 500; round++) {
      const text = Array.from({ length: 20 }, () => 'abcd'[next(4)]).join('');
      const pieces: string[] = [];
      for (let at = 0; at < text.length; ) {
        const size = 1 + next(4);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      const firstStop = Math.min(...stops.map((stop) => text.indexOf(stop)).filter((at) => at !== -1));
      const { emitted, stopped } = run(stops, pieces);
      assert.equal(stopped, Number.isFinite(firstStop), text);
      assert.equal(emitted.join(''), Number.isFinite(firstStop) ? text.slice(0, firstStop) : text, text);
    }
  });
});
