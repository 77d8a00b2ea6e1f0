import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadTokenizer, type ModelTokenizer } from '../../src/runtime/load-tokenizer.js';
import { TextStreamer } from '../../src/runtime/text-streamer.js';
import { LLAMA3_DIR, QWEN3_DIR, makeTempDir, writeSentencePieceModel, type TempDir } from './tokenizer-fixtures.js';

const TEXTS = [
  'Hello world, the café is open.',
  '中文测试：你好，世界！日本語のテキスト。한국어',
  'Emoji: 🎉👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷 and ❤️‍🔥 done',
  'Accents: naïve façade Ångström Œuvre São Paulo',
  'def f(x):\n    return x  # two spaces\n\tif x:\n        pass\n',
  '    leading spaces, then   runs   of   spaces ',
  // Patterns transformers' clean_up_tokenization rewrites (Llama 3 enables it).
  "He said 'so' , isn't it ? Yes ! I 'm sure they 've gone . We 're here ' ok",
];

const BROKEN = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function stream(tokenizer: ModelTokenizer, ids: readonly number[]): string[] {
  const streamer = new TextStreamer(tokenizer);
  const pieces = ids.map((id) => streamer.push(id));
  pieces.push(streamer.flush());
  return pieces;
}

function checkTexts(name: string, load: () => ModelTokenizer, extraIds: (tokenizer: ModelTokenizer) => number[]) {
  for (const text of TEXTS) {
    test(`${name}: ${JSON.stringify(text.slice(0, 30))}`, () => {
      const tokenizer = load();
      const ids = [...tokenizer.encode(text, { addSpecialTokens: false }), ...extraIds(tokenizer)];
      const pieces = stream(tokenizer, ids);
      assert.equal(pieces.join(''), tokenizer.decode(ids, { skipSpecialTokens: true }));
      for (const piece of pieces) assert.doesNotMatch(piece, BROKEN, JSON.stringify(piece));
      // Text flows as it is generated, not all at the end.
      assert.ok(pieces.filter((piece) => piece !== '').length >= text.split(/\s+/).filter(Boolean).length / 2);
    });
  }
}

describe('TextStreamer', () => {
  let qwen3: ModelTokenizer;
  let llama3: ModelTokenizer;
  let sentencePiece: ModelTokenizer;
  let temp: TempDir;
  before(async () => {
    temp = await makeTempDir();
    await writeSentencePieceModel(temp.dir);
    [qwen3, llama3, sentencePiece] = await Promise.all([
      loadTokenizer(QWEN3_DIR),
      loadTokenizer(LLAMA3_DIR),
      loadTokenizer(temp.dir),
    ]);
  });
  after(async () => {
    await temp.dispose();
  });

  checkTexts('qwen3', () => qwen3, (tokenizer) => [tokenizer.eosTokenId as number]);
  checkTexts('llama3', () => llama3, (tokenizer) => [tokenizer.tokenToId('<|eot_id|>') as number]);
  checkTexts('sentencepiece', () => sentencePiece, (tokenizer) => [tokenizer.eosTokenId as number]);

  test('sentencepiece: byte-fallback tokens are held until the character is whole', () => {
    const ids = sentencePiece.encode('Hello 世', { addSpecialTokens: false });
    assert.deepEqual(
      ids.map((id) => sentencePiece.idToToken(id)),
      ['▁Hello', '▁', '<0xE4>', '<0xB8>', '<0x96>'],
    );
    assert.deepEqual(stream(sentencePiece, ids), ['Hello', ' ', '', '', '世', '']);
  });

  test('sentencepiece: the space that opens a word is kept after the first token', () => {
    const ids = sentencePiece.encode('Hello world the', { addSpecialTokens: false });
    assert.deepEqual(stream(sentencePiece, ids), ['Hello', ' world', ' the', '']);
  });

  test('qwen3: an emoji split over byte-level pieces comes out in one piece', () => {
    const ids = qwen3.encode('🇫🇷', { addSpecialTokens: false });
    assert.ok(ids.length > 1);
    const pieces = stream(qwen3, ids).filter((piece) => piece !== '');
    assert.equal(pieces.join(''), '🇫🇷');
    for (const piece of pieces) assert.doesNotMatch(piece, BROKEN);
  });

  test('random ids, invalid UTF-8 included, still add up to the full decode', () => {
    let state = 12345;
    const next = (bound: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % bound;
    };
    for (const [tokenizer, vocab] of [
      [qwen3, 151669],
      [llama3, 128256],
      [sentencePiece, 300],
    ] as const) {
      const ids = Array.from({ length: 300 }, () => next(vocab));
      const expected = tokenizer.decode(ids, { skipSpecialTokens: true });
      assert.equal(stream(tokenizer, ids).join(''), expected);
    }
  });

  test('special tokens give no text', () => {
    const streamer = new TextStreamer(qwen3);
    assert.equal(streamer.push(qwen3.tokenToId('<|im_start|>') as number), '');
    assert.equal(streamer.push(qwen3.eosTokenId as number), '');
    assert.equal(streamer.flush(), '');
  });

  test('<think> is not special: it streams as text', () => {
    const ids = qwen3.encode('<think>\nhmm\n</think>\n\nHi', { addSpecialTokens: false });
    assert.equal(stream(qwen3, ids).join(''), '<think>\nhmm\n</think>\n\nHi');
  });

  test('llama3: clean-up of tokenization spaces matches a full decode across pieces', () => {
    const ids = llama3.encode("I 'm here . Are you ?", { addSpecialTokens: false });
    const pieces = stream(llama3, ids);
    assert.equal(pieces.join(''), "I'm here. Are you?");
  });
});
