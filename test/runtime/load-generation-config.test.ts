import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RuntimeError } from '../../src/errors.js';
import { loadGenerationConfig } from '../../src/runtime/load-generation-config.js';
import { makeTempDir, writeJsonFiles, type TempDir } from './tokenizer-fixtures.js';

describe('loadGenerationConfig', () => {
  let temp: TempDir;
  let count = 0;
  before(async () => {
    temp = await makeTempDir();
  });
  after(async () => {
    await temp.dispose();
  });

  async function folder(files: Record<string, unknown>): Promise<string> {
    const dir = path.join(temp.dir, String(count++));
    await mkdir(dir);
    await writeJsonFiles(dir, files);
    return dir;
  }

  test('a folder without any of the files gives empty defaults', async () => {
    assert.deepEqual(await loadGenerationConfig(await folder({})), { eosTokenIds: [], sampling: {} });
  });

  test('Llama 3.1 Instruct: eos ids merged from every source, sampling as shipped, context length', async () => {
    const dir = await folder({
      'generation_config.json': {
        bos_token_id: 128000,
        do_sample: true,
        eos_token_id: [128001, 128008, 128009],
        temperature: 0.6,
        top_p: 0.9,
      },
      'config.json': { eos_token_id: [128001, 128008, 128009], max_position_embeddings: 131072 },
    });
    assert.deepEqual(await loadGenerationConfig(dir, { tokenizerEosTokenId: 128009 }), {
      eosTokenIds: [128001, 128008, 128009],
      sampling: { temperature: 0.6, topP: 0.9 },
      contextLength: 131072,
    });
  });

  test('eos ids: generation_config first, then config, then the tokenizer, without repeats', async () => {
    const dir = await folder({
      'generation_config.json': { eos_token_id: 151645 },
      'config.json': { eos_token_id: 151643 },
    });
    const defaults = await loadGenerationConfig(dir, { tokenizerEosTokenId: 151645 });
    assert.deepEqual(defaults.eosTokenIds, [151645, 151643]);
  });

  test('Qwen-style sampling settings map onto SamplingOptions', async () => {
    const dir = await folder({
      'generation_config.json': {
        do_sample: true,
        temperature: 0.7,
        top_k: 20,
        top_p: 0.8,
        min_p: 0,
        repetition_penalty: 1.05,
        max_new_tokens: 2048,
        max_length: 32768,
      },
    });
    const defaults = await loadGenerationConfig(dir);
    assert.deepEqual(defaults.sampling, { temperature: 0.7, topK: 20, topP: 0.8, minP: 0, repeatPenalty: 1.05 });
    assert.equal(defaults.maxNewTokens, 2048);
    assert.equal(defaults.maxLength, 32768);
  });

  test('do_sample: false means greedy, keeping the repetition penalty', async () => {
    const dir = await folder({
      'generation_config.json': { do_sample: false, temperature: 0.9, top_p: 0.5, repetition_penalty: 1.1 },
    });
    assert.deepEqual((await loadGenerationConfig(dir)).sampling, { temperature: 0, repeatPenalty: 1.1 });
  });

  test('values out of range are left out', async () => {
    const dir = await folder({
      'generation_config.json': {
        temperature: -1,
        top_k: 2.5,
        top_p: 0,
        min_p: 2,
        repetition_penalty: 0,
        max_new_tokens: -5,
        eos_token_id: ['2', null, 7],
      },
      'config.json': { max_position_embeddings: 'long' },
    });
    assert.deepEqual(await loadGenerationConfig(dir), { eosTokenIds: [7], sampling: {} });
  });

  test('genai layout: search section and context_length; generation_config.json wins', async () => {
    const genai = {
      model: { context_length: 4096, eos_token_id: [32000, 32007], type: 'phi3' },
      search: { do_sample: false, max_length: 4096, repetition_penalty: 1.0, temperature: 1.0, top_k: 1, top_p: 1.0 },
    };
    assert.deepEqual(await loadGenerationConfig(await folder({ 'genai_config.json': genai })), {
      eosTokenIds: [32000, 32007],
      sampling: { temperature: 0, repeatPenalty: 1 },
      maxLength: 4096,
      contextLength: 4096,
    });
    const both = await folder({ 'genai_config.json': genai, 'generation_config.json': { do_sample: true, top_p: 0.95 } });
    const defaults = await loadGenerationConfig(both);
    assert.deepEqual(defaults.sampling, { temperature: 1, topK: 1, topP: 0.95, repeatPenalty: 1 });
  });

  test('context length from other names and from a multimodal text_config', async () => {
    const gpt2 = await folder({ 'config.json': { n_positions: 1024, eos_token_id: 50256 } });
    assert.equal((await loadGenerationConfig(gpt2)).contextLength, 1024);
    const gemma3 = await folder({ 'config.json': { text_config: { max_position_embeddings: 32768, eos_token_id: [1, 106] } } });
    assert.deepEqual(await loadGenerationConfig(gemma3), { eosTokenIds: [1, 106], sampling: {}, contextLength: 32768 });
  });

  test('a damaged file is an error naming it', async () => {
    const dir = await folder({});
    await writeFile(path.join(dir, 'generation_config.json'), '{ "eos_token_id": ');
    await assert.rejects(loadGenerationConfig(dir), (error: unknown) => {
      return error instanceof RuntimeError && error.message.includes(path.join(dir, 'generation_config.json'));
    });
  });
});
