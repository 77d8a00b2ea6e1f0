import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { env, pipeline } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import type { Pooling } from '../../src/registry/model-entry-schema.js';
import { EmbeddingModel } from '../../src/runtime/embedding/embedding-model.js';
import { loadTokenizer } from '../../src/runtime/load-tokenizer.js';
import { writeSentenceTransformersConfig, writeSyntheticEncoder, type EncoderShape } from '../support/synthetic-encoder/index.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const ENCODER: EncoderShape = { layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 24 };
const TEXTS = ['The cat sat on the mat.', 'Rivers of Europe', 'how fast does a small model embed text locally?', 'x', 'Paris, London!'];
const TOLERANCE = 1e-5;

let root: string;
const settings = { device: 'cpu' as const, threads: 1 };

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < TOLERANCE, `${what}: differs by ${worst}`);
}

/** The model run the plainest way: one text per session.run, no padding, pooled here. */
async function bareVectors(dir: string, modelFile: string, texts: string[], pooling: Pooling, normalize: boolean): Promise<number[][]> {
  const tokenizer = await loadTokenizer(dir);
  const session = await ort.InferenceSession.create(join(dir, modelFile));
  try {
    const vectors: number[][] = [];
    for (const text of texts) {
      const ids = tokenizer.encode(text);
      const shape = [1, ids.length];
      const int64 = (values: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), shape);
      const feeds: Record<string, ort.Tensor> = { input_ids: int64(ids), attention_mask: int64(ids.map(() => 1)) };
      if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = int64(ids.map(() => 0));
      if (session.inputNames.includes('position_ids')) feeds.position_ids = int64(ids.map((_, i) => i));
      for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
        const meta = session.inputMetadata.find((m) => m.name === name);
        const dims = meta?.isTensor ? meta.shape : [];
        feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, Number(dims[1]), 0, Number(dims[3])]);
      }
      const states = (await session.run(feeds)).last_hidden_state as ort.Tensor;
      const hidden = Number(states.dims[2]);
      const data = states.data as Float32Array;
      const row = (t: number): number[] => Array.from(data.subarray(t * hidden, (t + 1) * hidden));
      const rows = ids.map((_, t) => row(t));
      let vector: number[];
      if (pooling === 'cls') vector = rows[0];
      else if (pooling === 'last_token') vector = rows[rows.length - 1];
      else if (pooling === 'max') vector = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i])));
      else vector = rows[0].map((_, i) => rows.reduce((sum, r) => sum + r[i], 0) / rows.length);
      const norm = Math.hypot(...vector);
      vectors.push(normalize ? vector.map((v) => v / norm) : vector);
    }
    return vectors;
  } finally {
    await session.release();
  }
}

/** transformers.js' feature-extraction pipeline on the same folder, one text at a time. */
async function transformersVectors(dir: string, texts: string[], pooling: 'mean' | 'cls' | 'last_token', normalize: boolean): Promise<number[][]> {
  const extractor = await pipeline('feature-extraction', dir, { local_files_only: true, dtype: 'fp32' });
  try {
    const vectors: number[][] = [];
    for (const text of texts) vectors.push(((await extractor(text, { pooling, normalize })).tolist() as number[][])[0]);
    return vectors;
  } finally {
    await extractor.dispose();
  }
}

before(() => {
  env.allowRemoteModels = false;
  root = mkdtempSync(join(tmpdir(), 'owm-embedding-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('encoder embedding models', () => {
  const cases: { name: string; pooling: Pooling; normalize: boolean; tokenTypeIds: boolean }[] = [
    { name: 'mean-normalized', pooling: 'mean', normalize: true, tokenTypeIds: true },
    { name: 'cls-raw', pooling: 'cls', normalize: false, tokenTypeIds: true },
    { name: 'max-no-token-types', pooling: 'max', normalize: true, tokenTypeIds: false },
  ];
  for (const { name, pooling, normalize, tokenTypeIds } of cases) {
    test(`${name}: pooled as modules.json says, equal to a bare onnxruntime run${pooling === 'max' ? '' : ' and transformers.js'}`, async () => {
      const dir = join(root, name);
      const { modelFile } = writeSyntheticEncoder(dir, { shape: ENCODER, seed: 3, tokenTypeIds, sentenceTransformers: { pooling, normalize } });
      const model = await EmbeddingModel.load({ dir, modelFile }, settings);
      try {
        assert.deepEqual([model.info.pooling, model.info.normalize, model.info.source, model.info.dimensions], [pooling, normalize, 'folder', ENCODER.hidden]);
        const { vectors, tokenCounts } = await model.embed(TEXTS);
        const bare = await bareVectors(dir, modelFile, TEXTS, pooling, normalize);
        TEXTS.forEach((text, i) => assertClose(vectors[i], bare[i], `bare onnxruntime, "${text}"`));
        if (pooling !== 'max') {
          const reference = await transformersVectors(dir, TEXTS, pooling, normalize);
          TEXTS.forEach((text, i) => assertClose(vectors[i], reference[i], `transformers.js, "${text}"`));
        }
        // [CLS] cat sat ... [SEP]: the counts are the tokens fed, special tokens included.
        assert.equal(tokenCounts[3], 3);
        if (normalize) for (const vector of vectors) assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-5);
      } finally {
        await model.dispose();
      }
    });
  }

  test('batched equals one by one, whatever the batch pads to', async () => {
    const dir = join(root, 'mean-normalized');
    const model = await EmbeddingModel.load({ dir, modelFile: 'onnx/model.onnx' }, settings);
    try {
      const batched = (await model.embed(TEXTS)).vectors;
      for (const [i, text] of TEXTS.entries()) assertClose(batched[i], (await model.embed([text])).vectors[0], `alone vs batched, "${text}"`);
      // The shortest text padded to the longest's length in one run.
      const padded = (await model.embed(['x', TEXTS[2]])).vectors[0];
      assertClose(padded, batched[3], 'padded "x"');
      // Many texts: several length-sorted batches, answered in input order.
      const many = Array.from({ length: 150 }, (_, i) => TEXTS[i % TEXTS.length]);
      const manyVectors = (await model.embed(many)).vectors;
      many.forEach((_, i) => assertClose(manyVectors[i], batched[i % TEXTS.length], `text ${i} of 150`));
    } finally {
      await model.dispose();
    }
  });

  test('a folder without modules.json takes the registry spec, else mean pooling and normalization', async () => {
    const dir = join(root, 'bare-folder');
    const { modelFile } = writeSyntheticEncoder(dir, { shape: ENCODER, seed: 3 });
    const fallback = await EmbeddingModel.load({ dir, modelFile }, settings);
    const registry = await EmbeddingModel.load({ dir, modelFile }, settings, { dimensions: ENCODER.hidden, pooling: 'cls', normalize: true });
    try {
      assert.deepEqual([fallback.info.pooling, fallback.info.normalize, fallback.info.source], ['mean', true, 'default']);
      assert.deepEqual([registry.info.pooling, registry.info.source], ['cls', 'registry']);
      assertClose((await fallback.embed([TEXTS[0]])).vectors[0], (await bareVectors(dir, modelFile, [TEXTS[0]], 'mean', true))[0], 'default pooling');
      assertClose((await registry.embed([TEXTS[0]])).vectors[0], (await bareVectors(dir, modelFile, [TEXTS[0]], 'cls', true))[0], 'registry pooling');
    } finally {
      await Promise.all([fallback.dispose(), registry.dispose()]);
    }
  });

  test('a text over the positions fails naming both lengths, or is cut keeping [CLS] and [SEP] with truncate', async () => {
    const dir = join(root, 'mean-normalized');
    const model = await EmbeddingModel.load({ dir, modelFile: 'onnx/model.onnx' }, settings);
    const tokenizer = await loadTokenizer(dir);
    try {
      const long = 'the cat sat on the mat and the dog sat on the cat in the house of the city by the river, then ran fast to london';
      const ids = tokenizer.encode(long);
      assert.ok(ids.length > ENCODER.maxPositions);
      await assert.rejects(model.embed(['short', long]), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'context-overflow');
        assert.match(error.message, new RegExp(`Input 2 is ${ids.length} tokens, over this model's ${ENCODER.maxPositions}`));
        return true;
      });
      const cut = await model.embed([long], { truncate: true });
      assert.equal(cut.tokenCounts[0], ENCODER.maxPositions);
      const kept = tokenizer.decode([...ids.slice(1, ENCODER.maxPositions - 1)]);
      assertClose(cut.vectors[0], (await bareVectors(dir, 'onnx/model.onnx', [kept], 'mean', true))[0], 'truncated text');
    } finally {
      await model.dispose();
    }
  });

  test('dimensions keeps the first values, rescaled to length 1', async () => {
    const model = await EmbeddingModel.load({ dir: join(root, 'cls-raw'), modelFile: 'onnx/model.onnx' }, settings);
    try {
      const full = (await model.embed([TEXTS[0]])).vectors[0];
      const short = (await model.embed([TEXTS[0]], { dimensions: 8 })).vectors[0];
      const norm = Math.hypot(...full.slice(0, 8));
      assertClose(short, Array.from(full.slice(0, 8), (v) => v / norm), 'shortened');
      await assert.rejects(model.embed(['x'], { dimensions: ENCODER.hidden + 1 }), /dimensions must be a whole number from 1 to 32/);
    } finally {
      await model.dispose();
    }
  });
});

describe('decoder embedding models', () => {
  const texts = ['The cat sat on the mat.', 'Explain gravity', 'a much longer query about rivers, cities and the weights of open models'];
  let dir: string;
  let modelFile: string;

  before(() => {
    dir = join(root, 'decoder');
    ({ modelFile } = writeSyntheticModel(dir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: { ...TINY, vocab: 32768 }, tokenizer: 'qwen', seed: 5, headless: true }));
    writeSentenceTransformersConfig(dir, { pooling: 'last_token', normalize: true }, TINY.hidden);
  });

  test('last-token pooling with causal attention equals transformers.js and a bare run; batched equals one by one', async () => {
    const model = await EmbeddingModel.load({ dir, modelFile }, settings);
    try {
      assert.equal(model.info.pooling, 'last_token');
      const { vectors } = await model.embed(texts);
      const bare = await bareVectors(dir, modelFile, texts, 'last_token', true);
      const reference = await transformersVectors(dir, texts, 'last_token', true);
      texts.forEach((text, i) => {
        assertClose(vectors[i], bare[i], `bare onnxruntime, "${text}"`);
        assertClose(vectors[i], reference[i], `transformers.js, "${text}"`);
      });
    } finally {
      await model.dispose();
    }
  });

  test('a chat graph (logits, no token states) is refused with the command to use', async () => {
    const chatDir = join(root, 'chat');
    const chat = writeSyntheticModel(chatDir, { arch: 'llama', style: 'optimum', dtype: 'fp32', shape: { ...TINY, vocab: 32768 }, tokenizer: 'llama', seed: 5 });
    await assert.rejects(EmbeddingModel.load({ dir: chatDir, modelFile: chat.modelFile }, settings), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'wrong-model-kind');
      assert.match(error.message, /no hidden-state output \(only logits\): it is a chat model; use `owm run`/);
      return true;
    });
  });
});
