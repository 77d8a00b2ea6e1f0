import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeHub, type FakeHub, type FakeRepoInfo } from '../support/fake-hub.js';
import { genaiRepo, transformersJsRepo } from '../support/fake-model-repos.js';
import { repoCacheDir } from '../support/hf-cache-assertions.js';
import { createSandbox, runOwm, hubCacheOf } from '../support/run-owm.js';

const SMOL = 'HuggingFaceTB/SmolLM2-135M-Instruct';

describe('owm list, show, rm, verify', () => {
  let hub: FakeHub;
  let smol: FakeRepoInfo;

  before(async () => {
    hub = await startFakeHub();
    smol = await hub.addRepo(transformersJsRepo(SMOL, { dataBytes: 200_000 }));
    await hub.addRepo(genaiRepo('microsoft/Phi-3.5-mini-instruct-onnx'));
  });
  after(async () => {
    assert.deepEqual(hub.serverErrors, []);
    await hub.close();
  });

  test('list shows pulled variants with size and commit, as a table and as JSON', async () => {
    const { env } = await createSandbox(hub.url);
    const empty = await runOwm(['list'], env);
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /No models pulled yet/);

    assert.equal((await runOwm(['pull', 'smollm2-135m', '-q'], env)).code, 0);
    assert.equal((await runOwm(['pull', 'smollm2-135m', '--variant', 'fp32', '-q'], env)).code, 0);
    const table = await runOwm(['list'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+REPO\s+VARIANT\s+SIZE\s+COMMIT\s+LAST USED$/);
    assert.equal(lines.length, 3);
    assert.ok(lines.some((line) => /^smollm2-135m\s+HuggingFaceTB\/SmolLM2-135M-Instruct\s+q4\s+/.test(line)));
    assert.ok(lines.some((line) => line.includes(smol.commit.slice(0, 8))));

    const json = JSON.parse((await runOwm(['list', '--json'], env)).stdout) as Array<{ variant: string; size: number; complete: boolean }>;
    const q4 = json.find((model) => model.variant === 'q4');
    const expectedQ4 = ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data']
      .reduce((sum, file) => sum + smol.files[file].size, 0);
    assert.equal(q4?.size, expectedQ4);
    assert.equal(q4?.complete, true);
  });

  test('list --available shows the registry and marks what is pulled', async () => {
    const { env } = await createSandbox(hub.url);
    assert.equal((await runOwm(['pull', 'smollm2-135m', '-q'], env)).code, 0);
    const result = await runOwm(['list', '--available'], env);
    assert.equal(result.code, 0, result.stderr);
    for (const name of ['deepseek-r1-distill', 'mistral-7b', 'llama3.2-1b', 'llama3.2-3b', 'qwen2.5-0.5b', 'qwen2.5-1.5b', 'qwen3-0.6b', 'smollm2-135m', 'smollm2-360m', 'smollm2-1.7b', 'phi3.5-mini', 'gemma3-1b']) {
      assert.match(result.stdout, new RegExp(`^${name.replace('.', '\\.')}\\s`, 'm'), name);
    }
    assert.match(result.stdout, /^smollm2-135m\s.*\syes\s/m);
    assert.doesNotMatch(result.stdout, /^smollm2-360m\s.*\syes\s/m);
  });

  test('show reports license, architecture, variants with sizes, and the local copy', async () => {
    const { env } = await createSandbox(hub.url);
    const before = await runOwm(['show', 'smollm2-135m'], env);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /^license\s+Apache License 2.0 \(apache-2.0\)/m);
    assert.match(before.stdout, /^architecture\s+llama: 2 layers, 4 heads \(2 kv\), hidden 64, vocab 256$/m);
    assert.match(before.stdout, /^variants\s+fp32\s+[\d.]+ [KM]B$/m);
    assert.match(before.stdout, /\sq4\s+[\d.]+ [KM]B\s+\(default on cpu\)/);
    assert.match(before.stdout, /^local path\s+not pulled$/m);

    assert.equal((await runOwm(['pull', 'smollm2-135m', '-q'], env)).code, 0);
    const details = JSON.parse((await runOwm(['show', 'smollm2-135m', '--json'], env)).stdout) as {
      localPath: string;
      files: string[];
      variants: Array<{ name: string; pulled: boolean }>;
    };
    assert.equal(details.localPath, path.join(repoCacheDir(hubCacheOf(env), SMOL), 'snapshots', smol.commit));
    assert.ok(details.files.includes('onnx/model_q4.onnx_data'));
    assert.deepEqual(details.variants.filter((variant) => variant.pulled).map((variant) => variant.name), ['q4']);

    const offline = await runOwm(['show', 'smollm2-135m', '--offline'], env);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /note: offline/);

    const genai = await runOwm(['show', 'phi3.5-mini'], env);
    assert.equal(genai.code, 0, genai.stderr);
    assert.match(genai.stdout, /^architecture\s+phi3/m);
  });

  test('rm --variant keeps files the other variant shares; rm removes the rest', async () => {
    const { env } = await createSandbox(hub.url);
    const cache = hubCacheOf(env);
    assert.equal((await runOwm(['pull', 'smollm2-135m', '-q'], env)).code, 0);
    assert.equal((await runOwm(['pull', 'smollm2-135m', '--variant', 'fp32', '-q'], env)).code, 0);
    const blobs = path.join(repoCacheDir(cache, SMOL), 'blobs');
    const shared = smol.files['tokenizer.json'].etag;

    const rmQ4 = await runOwm(['rm', 'smollm2-135m', '--variant', 'q4'], env);
    assert.equal(rmQ4.code, 0, rmQ4.stderr);
    const left = await readdir(blobs);
    assert.ok(left.includes(shared), 'the shared tokenizer blob stays');
    assert.ok(left.includes(smol.files['onnx/model.onnx_data'].etag), 'fp32 weights stay');
    assert.ok(!left.includes(smol.files['onnx/model_q4.onnx_data'].etag), 'q4 weights are gone');
    const listed = JSON.parse((await runOwm(['list', '--json'], env)).stdout) as Array<{ variant: string; complete: boolean }>;
    assert.deepEqual(listed.map((model) => [model.variant, model.complete]), [['fp32', true]]);

    const missing = await runOwm(['rm', 'smollm2-135m', '--variant', 'q4'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: Variant 'q4' of HuggingFaceTB\/SmolLM2-135M-Instruct is not pulled \(pulled: fp32\)/m);

    const rmAll = await runOwm(['rm', 'smollm2-135m'], env);
    assert.equal(rmAll.code, 0, rmAll.stderr);
    assert.match(rmAll.stderr, /removed smollm2-135m: \d+ files, .* freed/);
    assert.equal(existsSync(repoCacheDir(cache, SMOL)), false);
    assert.match((await runOwm(['list'], env)).stdout, /No models pulled yet/);
  });

  test('verify passes a healthy cache and catches a corrupted blob, online and offline', async () => {
    const { env } = await createSandbox(hub.url);
    assert.equal((await runOwm(['pull', 'smollm2-135m', '-q'], env)).code, 0);
    const healthy = await runOwm(['verify', 'smollm2-135m'], env);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.match(healthy.stdout, /^ok\s+HuggingFaceTB\/SmolLM2-135M-Instruct@/m);

    const blob = path.join(repoCacheDir(hubCacheOf(env), SMOL), 'blobs', smol.files['onnx/model_q4.onnx_data'].etag);
    const handle = await open(blob, 'r+');
    await handle.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, 1000);
    await handle.close();

    for (const extra of [[], ['--offline']]) {
      const corrupt = await runOwm(['verify', ...extra], env);
      assert.equal(corrupt.code, 1, `verify ${extra.join(' ')}`);
      assert.match(corrupt.stdout, /^CORRUPT HuggingFaceTB\/SmolLM2-135M-Instruct@/m);
      assert.match(corrupt.stdout, /hash-mismatch\s+onnx\/model_q4.onnx_data/);
      assert.match(corrupt.stderr, /^error: 1 cached file\(s\) are corrupt .*owm rm/m);
    }
  });

  test('config shows where files go and never the token', async () => {
    const { env } = await createSandbox(hub.url, { HF_TOKEN: 'hf_secretsecret' });
    const result = await runOwm(['config', '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { hubCache: string; endpoint: string; tokenSet: boolean };
    assert.equal(report.hubCache, hubCacheOf(env));
    assert.equal(report.endpoint, hub.url);
    assert.equal(report.tokenSet, true);
    assert.doesNotMatch(result.stdout, /hf_secretsecret/);
    const help = await runOwm(['--help'], env);
    assert.match(help.stdout, /user registry\s+.*models\.yaml/);
  });
});
