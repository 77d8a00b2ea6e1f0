import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { RuntimeError } from '../../src/errors.js';
import { loadTokenizer, type ModelTokenizer } from '../../src/runtime/load-tokenizer.js';
import {
  QWEN3_DIR,
  makeTempDir,
  sentencePieceTokenizerJson,
  writeJsonFiles,
  writeSentencePieceModel,
  type TempDir,
} from './tokenizer-fixtures.js';

describe('loadTokenizer', () => {
  let temp: TempDir;
  before(async () => {
    temp = await makeTempDir();
  });
  after(async () => {
    await temp.dispose();
  });

  test('a folder without tokenizer.json is an error naming the folder and the file', async () => {
    await assert.rejects(loadTokenizer(temp.dir), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.ok(error.message.includes(temp.dir));
      assert.ok(error.message.includes('tokenizer.json'));
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  });

  async function subdir(name: string): Promise<string> {
    const dir = path.join(temp.dir, name);
    await mkdir(dir);
    return dir;
  }

  test('a damaged tokenizer.json is an error naming the file', async () => {
    const dir = await subdir('damaged');
    await writeFile(path.join(dir, 'tokenizer.json'), '{"version": "1.0", "model":');
    await assert.rejects(loadTokenizer(dir), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.ok(error.message.includes(path.join(dir, 'tokenizer.json')));
      return true;
    });
  });

  describe('qwen3 (byte-level BPE, no BOS)', () => {
    let tokenizer: ModelTokenizer;
    let reference: PreTrainedTokenizer;
    before(async () => {
      tokenizer = await loadTokenizer(QWEN3_DIR);
      reference = new PreTrainedTokenizer(
        JSON.parse(await readFile(path.join(QWEN3_DIR, 'tokenizer.json'), 'utf8')),
        JSON.parse(await readFile(path.join(QWEN3_DIR, 'tokenizer_config.json'), 'utf8')),
      );
    });

    test('reads the special tokens of the config', () => {
      assert.equal(tokenizer.bosToken, undefined);
      assert.equal(tokenizer.bosTokenId, undefined);
      assert.equal(tokenizer.eosToken, '<|im_end|>');
      assert.equal(tokenizer.eosTokenId, 151645);
      assert.equal(tokenizer.padToken, '<|endoftext|>');
      assert.equal(tokenizer.padTokenId, 151643);
      assert.deepEqual(tokenizer.specialTokens, { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' });
      assert.equal(tokenizer.cleanUpTokenizationSpaces, false);
    });

    test('special ids cover the special added tokens but not <think>', () => {
      for (const token of ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|video_pad|>']) {
        assert.ok(tokenizer.specialTokenIds.has(tokenizer.tokenToId(token) as number), token);
      }
      assert.equal(tokenizer.tokenToId('<think>'), 151667);
      assert.ok(!tokenizer.specialTokenIds.has(151667));
    });

    test('encodes like transformers.js', () => {
      for (const text of ['Hello, world!', '你好，世界 🎉👩‍👩‍👧', '<|im_start|>user\nhi<|im_end|>', '  indented\n\tcode()']) {
        assert.deepEqual(tokenizer.encode(text), reference.encode(text), text);
        assert.deepEqual(tokenizer.encode(text, { addSpecialTokens: false }), reference.encode(text, { add_special_tokens: false }));
      }
    });

    test('decodes, optionally without special tokens', () => {
      const ids = tokenizer.encode('<|im_start|>assistant\nHi 世界<|im_end|>');
      assert.equal(tokenizer.decode(ids), '<|im_start|>assistant\nHi 世界<|im_end|>');
      assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'assistant\nHi 世界');
      assert.equal(tokenizer.decode([]), '');
      assert.equal(tokenizer.decode([151645], { skipSpecialTokens: true }), '');
    });
  });

  describe('BOS handling (sentencepiece tokenizer whose post-processor adds <s>)', () => {
    async function model(name: string, config: Record<string, unknown> = {}, tokenizerJson?: unknown) {
      const dir = await subdir(name);
      await writeSentencePieceModel(dir, config);
      if (tokenizerJson !== undefined) await writeJsonFiles(dir, { 'tokenizer.json': tokenizerJson });
      return loadTokenizer(dir);
    }

    test('special tokens in AddedToken form', async () => {
      const tokenizer = await model('added-token-form');
      assert.equal(tokenizer.bosToken, '<s>');
      assert.equal(tokenizer.bosTokenId, 1);
      assert.equal(tokenizer.eosToken, '</s>');
      assert.equal(tokenizer.eosTokenId, 2);
      assert.deepEqual([...tokenizer.specialTokenIds].sort(), [0, 1, 2]);
    });

    test('adds one BOS, and never a second one when the text starts with it', async () => {
      const tokenizer = await model('default-bos');
      const body = tokenizer.encode('Hello world', { addSpecialTokens: false });
      assert.equal(body[0] === 1, false);
      assert.deepEqual(tokenizer.encode('Hello world'), [1, ...body]);
      assert.deepEqual(tokenizer.encode('<s>Hello world'), [1, ...body]);
      assert.deepEqual(tokenizer.encode('<s>Hello world', { addSpecialTokens: false }), [1, ...body]);
    });

    test('add_bos_token: false wins over the post-processor', async () => {
      const tokenizer = await model('no-bos', { add_bos_token: false });
      const body = tokenizer.encode('Hello world', { addSpecialTokens: false });
      assert.deepEqual(tokenizer.encode('Hello world'), body);
      assert.deepEqual(tokenizer.encode('<s>Hello world'), [1, ...body]);
    });

    test('add_bos_token: true adds BOS when the post-processor does not', async () => {
      const json = { ...sentencePieceTokenizerJson(), post_processor: null };
      const tokenizer = await model('bos-from-config', { add_bos_token: true }, json);
      const body = tokenizer.encode('Hello world', { addSpecialTokens: false });
      assert.deepEqual(tokenizer.encode('Hello world'), [1, ...body]);
    });

    test('special_tokens_map.json fills what tokenizer_config.json leaves out', async () => {
      const dir = await subdir('special-map');
      await writeJsonFiles(dir, {
        'tokenizer.json': sentencePieceTokenizerJson(),
        'tokenizer_config.json': { bos_token: '<s>', additional_special_tokens: [{ content: '▁the' }] },
        'special_tokens_map.json': { bos_token: '</s>', eos_token: { content: '</s>', special: true } },
      });
      const tokenizer = await loadTokenizer(dir);
      assert.equal(tokenizer.bosToken, '<s>');
      assert.equal(tokenizer.eosToken, '</s>');
      assert.equal(tokenizer.eosTokenId, 2);
      const the = tokenizer.tokenToId('▁the') as number;
      assert.ok(tokenizer.specialTokenIds.has(the));
      assert.equal(tokenizer.decode(tokenizer.encode('Hello the world'), { skipSpecialTokens: true }), 'Hello world');
    });
  });
});
