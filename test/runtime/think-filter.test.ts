import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ThinkFilter, type ThinkFilterOptions } from '../../src/runtime/think-filter.js';

function filter(pieces: string[], options?: ThinkFilterOptions): string[] {
  const think = new ThinkFilter(options);
  const out = pieces.map((piece) => think.push(piece));
  out.push(think.flush());
  return out;
}

const REPLY = '<think>\nThe user greets me.\n</think>\n\nHello! How can I help?';

describe('ThinkFilter', () => {
  test('removes a think block and the blank lines after it', () => {
    assert.equal(filter([REPLY]).join(''), 'Hello! How can I help?');
  });

  test('tags split over one-character pieces', () => {
    const out = filter([...REPLY]);
    assert.equal(out.join(''), 'Hello! How can I help?');
    // Nothing of the block leaks into any piece.
    for (const piece of out) assert.ok(!/[<>]|user/.test(piece), piece);
  });

  test('startsInside: the prompt opened the block, only </think> appears', () => {
    const pieces = ['Okay, so', ' 2+2 is 4.\n</thi', 'nk>\n\n', '**4**'];
    assert.deepEqual(filter(pieces, { startsInside: true }), ['', '', '', '**4**', '']);
  });

  test('text before, between and after blocks is kept', () => {
    assert.equal(filter(['a <think>x</think>b <think>y</think>  c']).join(''), 'a b c');
  });

  test('something that only looks like a tag start is released', () => {
    assert.deepEqual(filter(['a <thi', 'ng> b <']), ['a ', '<thing> b ', '<']);
  });

  test('an unclosed think block stays hidden', () => {
    assert.deepEqual(filter(['ok <think>still thinking', ' and </th']), ['ok ', '', '']);
  });

  test('whitespace that follows </think> in later pieces is dropped too', () => {
    assert.deepEqual(filter(['<think>x</think>', '\n', '\n', 'Hi\n\nthere']), ['', '', '', 'Hi\n\nthere', '']);
  });
});
