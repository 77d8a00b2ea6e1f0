import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GgmlType, readGgufFileInfo } from 'node-llama-cpp';
import { ggufTokenizerMetadata } from '../../../bench/llama-cpp/gguf-tokenizer-metadata.js';
import { llamaCppTensors } from '../../../bench/llama-cpp/llama-cpp-tensors.js';
import type { HfTokenizerJson } from '../../../bench/llama-cpp/types.js';
import { writeGguf } from '../../../bench/llama-cpp/write-gguf.js';
import { TINY, writeSyntheticModel } from '../../support/synthetic-model/index.js';

const SHAPE = { ...TINY, vocab: 8192 };

describe('writeGguf', () => {
  const root = mkdtempSync(join(tmpdir(), 'owm-gguf-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('qwen2 Q4_0: llama.cpp metadata, F32 norms and biases, Q4_0 matrices, no output.weight when tied, 32-byte aligned data', async () => {
    const model = writeSyntheticModel(join(root, 'qwen2'), { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: SHAPE, tokenizer: 'qwen', seed: 1, tieEmbeddings: true });
    const tokenizerJson = JSON.parse(readFileSync(join(model.dir, 'tokenizer.json'), 'utf8')) as HfTokenizerJson;
    const path = join(root, 'qwen2.gguf');
    const taken: string[] = [];
    const weights = { has: (name: string) => model.weights.has(name), get: (name: string) => (taken.push(name), model.weights.get(name)) };
    const written = writeGguf(path, { config: model.config, weights, tokenizerJson, type: 'Q4_0' });
    assert.equal(written.bytes, statSync(path).size);
    // Drawn as written, one at a time: what keeps a 7B's memory to one tensor.
    assert.equal(taken.length, written.tensors);
    assert.equal(new Set(taken).size, taken.length);

    const info = await readGgufFileInfo(path, { logWarnings: false });
    const metadata = info.metadata as unknown as Record<string, Record<string, unknown>>;
    assert.equal(info.version, 3);
    assert.equal(metadata.general.architecture, 'qwen2');
    assert.equal(metadata.general.file_type, 2);
    assert.deepEqual(
      { ...metadata.qwen2, attention: undefined, rope: undefined },
      { context_length: 2048, embedding_length: 64, block_count: 2, feed_forward_length: 128, vocab_size: 8192, attention: undefined, rope: undefined },
    );
    assert.deepEqual(metadata.qwen2.attention, { head_count: 4, head_count_kv: 2, layer_norm_rms_epsilon: Math.fround(1e-6) });
    assert.deepEqual(metadata.qwen2.rope, { freq_base: 10000, dimension_count: 16 });
    const ggml = (metadata.tokenizer as Record<string, Record<string, unknown>>).ggml;
    assert.equal(ggml.model, 'gpt2');
    assert.equal(ggml.pre, 'qwen2');
    assert.equal((ggml.tokens as string[]).length, 8192);
    assert.equal(ggml.eos_token_id, model.config.eosTokenIds[0]);
    assert.equal(ggml.bos_token_id, model.config.bosTokenId);

    const tensors = info.tensorInfo!;
    assert.deepEqual(
      tensors.slice(0, 12).map((t) => [t.name, t.dimensions.map(Number), GgmlType[t.ggmlType]]),
      [
        ['token_embd.weight', [64, 8192], 'Q4_0'],
        ['blk.0.attn_norm.weight', [64], 'F32'],
        ['blk.0.attn_q.weight', [64, 64], 'Q4_0'],
        ['blk.0.attn_q.bias', [64], 'F32'],
        ['blk.0.attn_k.weight', [64, 32], 'Q4_0'],
        ['blk.0.attn_k.bias', [32], 'F32'],
        ['blk.0.attn_v.weight', [64, 32], 'Q4_0'],
        ['blk.0.attn_v.bias', [32], 'F32'],
        ['blk.0.attn_output.weight', [64, 64], 'Q4_0'],
        ['blk.0.ffn_norm.weight', [64], 'F32'],
        ['blk.0.ffn_gate.weight', [64, 128], 'Q4_0'],
        ['blk.0.ffn_up.weight', [64, 128], 'Q4_0'],
      ],
    );
    assert.equal(tensors.at(-1)!.name, 'output_norm.weight');
    assert.ok(!tensors.some((t) => t.name === 'output.weight'));
    for (const tensor of tensors) assert.equal(Number(tensor.fileOffset) % 32, 0, tensor.name);
  });

  test('llama F16 with an F32 embedding: output.weight kept, llama-bpe tokenizer that adds BOS', async () => {
    const model = writeSyntheticModel(join(root, 'llama'), { arch: 'llama', style: 'optimum', dtype: 'fp32', shape: SHAPE, tokenizer: 'llama', seed: 1 });
    const tokenizerJson = JSON.parse(readFileSync(join(model.dir, 'tokenizer.json'), 'utf8')) as HfTokenizerJson;
    const path = join(root, 'llama.gguf');
    writeGguf(path, { config: model.config, weights: model.weights, tokenizerJson, type: 'F16', embeddingType: 'F32' });
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const types = new Map(info.tensorInfo!.map((t) => [t.name, GgmlType[t.ggmlType]]));
    assert.equal(types.get('token_embd.weight'), 'F32');
    assert.equal(types.get('output.weight'), 'F16');
    assert.equal(types.get('blk.1.ffn_down.weight'), 'F16');
    assert.equal(types.get('blk.1.ffn_norm.weight'), 'F32');
    const ggml = ((info.metadata as unknown as Record<string, Record<string, Record<string, unknown>>>).tokenizer).ggml;
    assert.equal(ggml.pre, 'llama-bpe');
    assert.equal(ggml.add_bos_token, true);
  });
});

describe('llamaCppTensors', () => {
  const config = {
    arch: 'llama' as const,
    layers: 1,
    hidden: 8,
    heads: 2,
    kvHeads: 1,
    headDim: 4,
    intermediate: 32,
    vocab: 32,
    maxPositions: 64,
    ropeTheta: 10000,
    rmsNormEps: 1e-5,
    tieEmbeddings: true,
    qkvBias: false,
    bosTokenId: null,
    eosTokenIds: [0],
    padTokenId: null,
  };
  const weights = new Map<string, Float32Array>();
  const rows = (count: number): Float32Array => Float32Array.from({ length: count * 8 }, (_, i) => Math.floor(i / 8));
  weights.set('model.embed_tokens.weight', new Float32Array(32 * 8));
  weights.set('model.layers.0.input_layernorm.weight', new Float32Array(8));
  weights.set('model.layers.0.self_attn.q_proj.weight', rows(8));
  weights.set('model.layers.0.self_attn.k_proj.weight', rows(4));
  weights.set('model.layers.0.self_attn.v_proj.weight', rows(4));
  weights.set('model.layers.0.self_attn.o_proj.weight', new Float32Array(64));
  weights.set('model.layers.0.post_attention_layernorm.weight', new Float32Array(8));
  weights.set('model.layers.0.mlp.gate_proj.weight', new Float32Array(256));
  weights.set('model.layers.0.mlp.up_proj.weight', new Float32Array(256));
  weights.set('model.layers.0.mlp.down_proj.weight', new Float32Array(256));
  weights.set('model.norm.weight', new Float32Array(8));
  const firstColumn = (values: Float32Array): number[] => Array.from({ length: values.length / 8 }, (_, row) => values[row * 8]);

  test('llama: q and k rows go from rotate-half halves to interleaved pairs, head by head', () => {
    const tensors = new Map(llamaCppTensors(config, weights).map((t) => [t.name, t.values()]));
    // Head dim 4: rows (0, 1 | 2, 3) become (0, 2, 1, 3).
    assert.deepEqual(firstColumn(tensors.get('blk.0.attn_q.weight')!), [0, 2, 1, 3, 4, 6, 5, 7]);
    assert.deepEqual(firstColumn(tensors.get('blk.0.attn_k.weight')!), [0, 2, 1, 3]);
    assert.deepEqual(firstColumn(tensors.get('blk.0.attn_v.weight')!), [0, 1, 2, 3]);
  });

  test('qwen2 (NEOX rope): q and k stay as they are', () => {
    const qwen = { ...config, arch: 'qwen2' as const };
    const tensors = new Map(llamaCppTensors(qwen, weights).map((t) => [t.name, t.values()]));
    assert.deepEqual(firstColumn(tensors.get('blk.0.attn_q.weight')!), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('ggufTokenizerMetadata', () => {
  const tokenizer: HfTokenizerJson = {
    added_tokens: [
      { id: 4, content: '<|endoftext|>', special: true },
      { id: 5, content: '<|fim_prefix|>', special: false },
      { id: 6, content: '<think>', special: false },
    ],
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, Ġ: 3 }, merges: [['a', 'b'], 'Ġ a'] },
  };

  test('one token and type per embedding row, unused rows padded, merges as "a b"', () => {
    const metadata = ggufTokenizerMetadata(tokenizer, { vocab: 9, bosTokenId: null, eosTokenId: 4, padTokenId: 4, pre: 'qwen2' });
    assert.deepEqual(metadata['tokenizer.ggml.tokens'].value, ['a', 'b', 'ab', 'Ġ', '<|endoftext|>', '<|fim_prefix|>', '<think>', '[PAD7]', '[PAD8]']);
    // NORMAL 1, CONTROL 3 (special, or looking it), USER_DEFINED 4, UNUSED 5.
    assert.deepEqual([...(metadata['tokenizer.ggml.token_type'].value as Int32Array)], [1, 1, 1, 1, 3, 3, 4, 5, 5]);
    assert.deepEqual(metadata['tokenizer.ggml.merges'].value, ['a b', 'Ġ a']);
    assert.equal(metadata['tokenizer.ggml.bos_token_id'], undefined);
    assert.deepEqual(metadata['tokenizer.ggml.padding_token_id'], { type: 'uint32', value: 4 });
  });

  test('refuses ids past the embedding, and guessing an unknown pre-tokenizer', () => {
    assert.throws(() => ggufTokenizerMetadata(tokenizer, { vocab: 6, bosTokenId: null, eosTokenId: 4, padTokenId: null, pre: 'qwen2' }), /past the 6 embedding rows/);
    assert.throws(() => ggufTokenizerMetadata(tokenizer, { vocab: 7, bosTokenId: null, eosTokenId: 4, padTokenId: null }), /pre-tokenizer/);
  });
});
