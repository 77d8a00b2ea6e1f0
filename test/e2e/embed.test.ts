import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import type { EmbeddingSpec } from '../../src/registry/model-entry-schema.js';
import { EmbeddingModel } from '../../src/runtime/embedding/embedding-model.js';
import { fakeRepoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { createSandbox, runOwm, type OwmResult } from '../support/run-owm.js';
import { serveOwm, type ServedOwm } from '../support/serve-owm.js';
import { writeSentenceTransformersConfig, writeSyntheticEncoder, type EncoderShape } from '../support/synthetic-encoder/index.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const SHAPE: EncoderShape = { layers: 2, hidden: 32, heads: 4, intermediate: 64, maxPositions: 16 };
const TEXTS = ['the cat sat on the mat', 'rivers of europe', 'a small model embeds text'];
const LONG = 'the cat sat on the mat and the dog sat on the cat in the house by the river';
const CLS_SPEC: EmbeddingSpec = { dimensions: SHAPE.hidden, pooling: 'cls', normalize: true };

let root: string;
let encoderDir: string;
let decoderDir: string;
let chatDir: string;
let bareDir: string;

/** The vectors owm's runtime gives in this process: what every front end must print or send. */
async function reference(dir: string, texts: string[], spec?: EmbeddingSpec): Promise<Float32Array[]> {
  const model = await EmbeddingModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 }, spec);
  try {
    return (await model.embed(texts)).vectors;
  } finally {
    await model.dispose();
  }
}

function assertVectors(actual: ArrayLike<number>[], expected: Float32Array[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: vector count`);
  actual.forEach((vector, i) => {
    assert.equal(vector.length, expected[i]?.length, `${what}: length of vector ${i}`);
    for (let j = 0; j < vector.length; j++) assert.ok(Math.abs(vector[j] - (expected[i]?.[j] ?? NaN)) < 1e-6, `${what}: vector ${i}[${j}]`);
  });
}

function assertOneLineError(result: OwmResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'owm-embed-'));
  encoderDir = path.join(root, 'encoder');
  writeSyntheticEncoder(encoderDir, { shape: SHAPE, seed: 7, sentenceTransformers: { pooling: 'mean', normalize: true } });
  bareDir = path.join(root, 'bare');
  writeSyntheticEncoder(bareDir, { shape: SHAPE, seed: 8 });
  decoderDir = path.join(root, 'decoder');
  writeSyntheticModel(decoderDir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 9, headless: true });
  writeSentenceTransformersConfig(decoderDir, { pooling: 'last_token', normalize: true }, TINY.hidden);
  chatDir = path.join(root, 'chat');
  writeSyntheticModel(chatDir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 9 });
});

describe('owm embed', () => {
  let env: NodeJS.ProcessEnv;
  let hub: FakeHub;

  before(async () => {
    hub = await startFakeHub();
    await hub.addRepo(await fakeRepoFromFolder('acme/emb', bareDir));
    ({ env } = await createSandbox(hub.url));
    await mkdir(env.OWM_HOME as string, { recursive: true });
    await writeFile(
      path.join(env.OWM_HOME as string, 'models.yaml'),
      `models:\n  emb:\n    repo: acme/emb\n    embedding: { dimensions: ${SHAPE.hidden}, pooling: cls }\n`,
    );
  });
  after(() => hub?.close());

  test('one JSON array per text, in order, from arguments or from stdin lines; --json adds the token counts', async () => {
    const expected = await reference(encoderDir, TEXTS);
    const fromArgs = await runOwm(['embed', encoderDir, ...TEXTS], env);
    assert.equal(fromArgs.code, 0, fromArgs.stderr);
    assert.equal(fromArgs.stderr, '');
    assertVectors(fromArgs.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as number[]), expected, 'arguments');

    const fromStdin = await runOwm(['embed', encoderDir], env, `${TEXTS.join('\n')}\n`);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(fromStdin.stdout, fromArgs.stdout);

    const json = await runOwm(['embed', encoderDir, '--json', ...TEXTS], env);
    const report = JSON.parse(json.stdout) as { model: string; vectors: number[][]; tokenCounts: number[] };
    assert.equal(report.model, encoderDir);
    assertVectors(report.vectors, expected, '--json');
    assert.deepEqual(report.tokenCounts, [8, 5, 8]);
  });

  test('a decoder embedding model pools its last token', async () => {
    const result = await runOwm(['embed', decoderDir, ...TEXTS, '--verbose'], env);
    assert.equal(result.code, 0, result.stderr);
    assertVectors(result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as number[]), await reference(decoderDir, TEXTS), 'decoder');
    assert.match(result.stderr, /last token pooling, normalized \(modules\.json\)/);
  });

  test('a text over the positions fails naming both lengths unless --truncate', async () => {
    assertOneLineError(await runOwm(['embed', encoderDir, 'short', LONG], env), 1, /^error: Input 2 is 21 tokens, over this model's 16: shorten it, or truncate it/);
    const cut = await runOwm(['embed', encoderDir, '--json', '--truncate', LONG], env);
    assert.equal(cut.code, 0, cut.stderr);
    assert.deepEqual((JSON.parse(cut.stdout) as { tokenCounts: number[] }).tokenCounts, [16]);
  });

  test('the wrong kind of model is a usage error that names the command to use', async () => {
    assertOneLineError(await runOwm(['embed', chatDir, 'hi'], env), 2, /^error: onnx\/model\.onnx has no hidden-state output \(only logits\): it is a chat model; use `owm run`/);
    assertOneLineError(await runOwm(['run', encoderDir, 'hi'], env), 2, /^error: onnx\/model\.onnx is an embedding model .*use `owm embed`/);
    // A registry entry says so before anything is pulled.
    assertOneLineError(await runOwm(['run', 'emb', 'hi'], env), 2, /^error: emb is an embedding model: use `owm embed emb TEXT`/);
    assertOneLineError(await runOwm(['embed', encoderDir], { ...env }, ''), 2, /^error: stdin is empty/);
  });

  test('a registry name is pulled on demand and pooled as its entry says when the repo has no modules.json', async () => {
    const result = await runOwm(['embed', 'emb', '-q', '--verbose', TEXTS[0] as string], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /emb: cls pooling, normalized \(owm's registry entry; the folder has no modules\.json\)/);
    assertVectors([JSON.parse(result.stdout) as number[]], await reference(bareDir, [TEXTS[0] as string], CLS_SPEC), 'registry entry');
    const defaults = await runOwm(['embed', bareDir, '--verbose', 'x'], env);
    assert.match(defaults.stderr, /has no modules\.json: using mean pooling, normalized/);
  });
});

describe('embeddings through owm serve, with the openai and ollama clients', () => {
  let server: ServedOwm;
  let openai: OpenAI;
  let ollama: Ollama;

  before(async () => {
    const { env } = await createSandbox();
    server = await serveOwm(['--model', `enc=${encoderDir}`, '--model', `dec=${decoderDir}`, '--model', `chat=${chatDir}`], env);
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    ollama = new Ollama({ host: server.url });
  });
  after(() => server?.stop());

  test('/v1/embeddings: base64 (the client default) and float give the same vectors, with usage', async () => {
    const expected = await reference(encoderDir, TEXTS);
    const base64 = await openai.embeddings.create({ model: 'enc', input: TEXTS });
    assertVectors(base64.data.map((item) => item.embedding), expected, 'base64');
    assert.deepEqual(base64.data.map((item) => item.index), [0, 1, 2]);
    assert.deepEqual(base64.usage, { prompt_tokens: 21, total_tokens: 21 });
    const float = await openai.embeddings.create({ model: 'enc', input: TEXTS[0] as string, encoding_format: 'float' });
    assertVectors(float.data.map((item) => item.embedding), expected.slice(0, 1), 'float');

    const short = (await openai.embeddings.create({ model: 'enc', input: 'x', dimensions: 8 })).data[0]?.embedding ?? [];
    assert.equal(short.length, 8);
    assert.ok(Math.abs(Math.hypot(...short) - 1) < 1e-6);
  });

  test("Ollama's /api/embed and /api/embeddings", async () => {
    const expected = await reference(decoderDir, TEXTS);
    const embed = await ollama.embed({ model: 'dec', input: TEXTS });
    assertVectors(embed.embeddings, expected, '/api/embed');
    assert.ok(embed.prompt_eval_count > TEXTS.length);
    const old = await ollama.embeddings({ model: 'enc', prompt: TEXTS[1] as string });
    assertVectors([old.embedding], (await reference(encoderDir, [TEXTS[1] as string])), '/api/embeddings');
    // Ollama cuts long inputs unless asked not to.
    assert.equal((await ollama.embed({ model: 'enc', input: LONG })).embeddings.length, 1);
    await assert.rejects(ollama.embed({ model: 'enc', input: LONG, truncate: false }), /Input 1 is 21 tokens, over this model's 16/);
  });

  test('the wrong kind of model, and bad input, are 400s that say what to do', async () => {
    await assert.rejects(openai.embeddings.create({ model: 'chat', input: 'x' }), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /Model 'chat' is a chat model: use it with the chat and generate endpoints/);
      return true;
    });
    await assert.rejects(openai.chat.completions.create({ model: 'enc', messages: [{ role: 'user', content: 'hi' }] }), (error: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /Model 'enc' is an embedding model: use it with the embeddings endpoints/);
      return true;
    });
    const tokens = await fetch(`${server.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'enc', input: [[1, 2, 3]] }) });
    assert.equal(tokens.status, 400);
    assert.match(JSON.stringify(await tokens.json()), /owm takes text, not token ids/);
  });
});
