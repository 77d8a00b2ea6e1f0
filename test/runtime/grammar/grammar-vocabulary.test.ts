import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GrammarCompilers } from '../../../src/runtime/grammar/grammar-compilers.js';
import { readGrammarVocabulary } from '../../../src/runtime/grammar/grammar-vocabulary.js';
import { jsonGrammar } from '../../../src/runtime/grammar/index.js';
import { loadTokenizer } from '../../../src/runtime/load-tokenizer.js';
import { makeTempDir, QWEN3_DIR, sentencePieceTokenizerJson, writeJsonFiles, type TempDir } from '../tokenizer-fixtures.js';

describe('the grammar reads the model\'s own vocabulary', () => {
  let temp: TempDir;
  before(async () => {
    temp = await makeTempDir();
    await writeJsonFiles(temp.dir, { 'tokenizer.json': sentencePieceTokenizerJson(), 'tokenizer_config.json': { bos_token: '<s>', eos_token: '</s>' } });
  });
  after(() => temp.dispose());

  test('byte-level BPE (Qwen 3): special tokens blanked unless the grammar writes them as text', async () => {
    const vocabulary = await readGrammarVocabulary(QWEN3_DIR, []);
    assert.equal(vocabulary.vocabType, 'byte_level');
    assert.equal(vocabulary.encodedVocab[151645], '', '<|im_end|> is never text');
    assert.equal(vocabulary.encodedVocab[151657], '<tool_call>', 'a non-special added token is text');
    const literal = await readGrammarVocabulary(QWEN3_DIR, ['<|im_start|>']);
    assert.equal(literal.encodedVocab[151644], '<|im_start|>');
  });

  test('sentencepiece with byte fallback: ▁ for spaces, <0x..> bytes, a JSON value token by token', async () => {
    const vocabulary = await readGrammarVocabulary(temp.dir, []);
    assert.equal(vocabulary.vocabType, 'byte_fallback');
    assert.equal(vocabulary.prependSpace, true);
    const tokenizer = await loadTokenizer(temp.dir);
    const value = `{"word": "the cañon café", "n": 7}`;
    const ids = tokenizer.encode(value, { addSpecialTokens: false });
    // The normalizer's leading ▁ belongs to a prompt's start, not to a reply's first token.
    if (vocabulary.encodedVocab[ids[0] as number] === '▁') ids.shift();
    assert.ok(ids.some((id) => vocabulary.encodedVocab[id]?.startsWith('<0x')), 'ñ is spelled in bytes');
    const schema = { type: 'object', properties: { word: { type: 'string' }, n: { type: 'integer' } }, required: ['word', 'n'], additionalProperties: false };
    const compilers = new GrammarCompilers(temp.dir, vocabulary.encodedVocab.length);
    const constraint = await compilers.constrain(await jsonGrammar(schema, 'the schema'), [2]);
    for (const id of ids) {
      assert.equal(await constraint.prepare(), true);
      const logits = new Float32Array(vocabulary.encodedVocab.length);
      constraint.process(logits);
      assert.notEqual(logits[id], Number.NEGATIVE_INFINITY, `token ${id} (${tokenizer.decode([id])}) allowed`);
      constraint.accept(id);
    }
    assert.equal(await constraint.prepare(), false, 'complete: nothing but </s> may follow');
    constraint.dispose();
  });
});
