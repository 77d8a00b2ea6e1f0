import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeHub, type FakeHub, type FakeRepoInfo } from '../support/fake-hub.js';
import { genaiRepo, transformersJsRepo } from '../support/fake-model-repos.js';
import { assertHfCacheLayout, blobNames, repoCacheDir } from '../support/hf-cache-assertions.js';
import { createSandbox, runOwm, startOwm, waitForOwm, hubCacheOf } from '../support/run-owm.js';

const SMOL = 'HuggingFaceTB/SmolLM2-135M-Instruct';
const ROOT_FILES = ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json'];
const Q4_FILES = [...ROOT_FILES, 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data'];

describe('owm pull', () => {
  let hub: FakeHub;
  let smol: FakeRepoInfo;
  let genai: FakeRepoInfo;

  before(async () => {
    hub = await startFakeHub({ treePageSize: 4 });
    smol = await hub.addRepo(transformersJsRepo(SMOL));
    genai = await hub.addRepo(genaiRepo('acme/tiny-genai'));
  });
  after(async () => {
    assert.deepEqual(hub.serverErrors, []);
    await hub.close();
  });

  test('a registry name pulls only its default variant into the HF cache layout', async () => {
    const { env } = await createSandbox(hub.url);
    const result = await runOwm(['pull', 'smollm2-135m'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '', 'stdout carries nothing but model text');
    assert.match(result.stderr, /pulling smollm2-135m .*variant q4/);
    assert.match(result.stderr, /pulled smollm2-135m \(q4, 7 files\)/);
    await assertHfCacheLayout(hubCacheOf(env), smol, Q4_FILES);
  });

  test('a raw org/name repo in the genai layout pulls one variant folder', async () => {
    const { env } = await createSandbox(hub.url);
    const result = await runOwm(['pull', 'acme/tiny-genai', '--quiet'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', '--quiet prints nothing');
    const folder = 'cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4';
    await assertHfCacheLayout(
      hubCacheOf(env),
      genai,
      ['genai_config.json', 'model.onnx', 'model.onnx.data', 'tokenizer.json', 'tokenizer_config.json'].map((f) => `${folder}/${f}`),
    );
  });

  test('--variant picks another variant with its external data', async () => {
    const { env } = await createSandbox(hub.url);
    const result = await runOwm(['pull', 'smollm2-135m', '--variant', 'fp32', '-q'], env);
    assert.equal(result.code, 0, result.stderr);
    await assertHfCacheLayout(hubCacheOf(env), smol, [...ROOT_FILES, 'onnx/model.onnx', 'onnx/model.onnx_data']);
  });

  test('an unknown variant lists the ones that exist', async () => {
    const { env } = await createSandbox(hub.url);
    const result = await runOwm(['pull', 'smollm2-135m', '--variant', 'q3'], env);
    assert.equal(result.code, 2, 'a usage error');
    assert.match(result.stderr, /^error: .*q3.*q4/m);
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  });

  test('a download killed mid-file resumes with a Range request instead of starting over', async () => {
    const { env } = await createSandbox(hub.url);
    const big = smol.files['onnx/model_q4.onnx_data'];
    hub.faults.add({ repo: SMOL, path: big.path, kind: 'throttle', bytesPerSecond: 400_000 });
    const child = startOwm(['pull', 'smollm2-135m'], env);
    const done = waitForOwm(child);
    const partial = path.join(repoCacheDir(hubCacheOf(env), SMOL), 'blobs', `${big.etag}.incomplete`);
    let partialSize = 0;
    for (let i = 0; i < 200 && partialSize < 500_000; i++) {
      await sleep(50);
      partialSize = (await stat(partial).catch(() => undefined))?.size ?? 0;
    }
    child.kill('SIGKILL');
    await done;
    hub.faults.clear();
    const killedAt = (await stat(partial)).size;
    assert.ok(killedAt > 0 && killedAt < big.size, `partial file holds ${killedAt} bytes`);

    const requestsBefore = hub.requests.length;
    const result = await runOwm(['pull', 'smollm2-135m'], env);
    assert.equal(result.code, 0, result.stderr);
    const ranges = hub.requests
      .slice(requestsBefore)
      .filter((request) => request.host === 'cdn' && request.method === 'GET')
      .map((request) => request.headers.range);
    assert.ok(
      ranges.some((range) => range !== undefined && Number(/bytes=(\d+)-/.exec(range)?.[1]) >= killedAt),
      `a range request resumed at or after ${killedAt}: ${ranges.join(', ')}`,
    );
    await assertHfCacheLayout(hubCacheOf(env), smol, Q4_FILES);
  });

  test('two pulls of one model at once both succeed and leave one verified copy', async () => {
    const { env } = await createSandbox(hub.url);
    hub.faults.add({ repo: SMOL, path: 'onnx/model_q4.onnx_data', kind: 'throttle', bytesPerSecond: 2_000_000, times: 2 });
    const [first, second] = await Promise.all([runOwm(['pull', 'smollm2-135m'], env), runOwm(['pull', 'smollm2-135m'], env)]);
    hub.faults.clear();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    await assertHfCacheLayout(hubCacheOf(env), smol, Q4_FILES);
  });

  test('transient failures (500, 429 with Retry-After, dropped connection, stall) are retried', async () => {
    const { env } = await createSandbox(hub.url, { OWM_STALL_TIMEOUT_MS: '700' });
    hub.faults.add({ repo: SMOL, endpoint: 'model-info', kind: 'status', status: 503 });
    hub.faults.add({ repo: SMOL, path: 'config.json', kind: 'status', status: 500 });
    hub.faults.add({ repo: SMOL, path: 'tokenizer.json', kind: 'status', status: 429, retryAfter: 1 });
    hub.faults.add({ repo: SMOL, path: 'onnx/model_q4.onnx_data', kind: 'drop-after', bytes: 300_000 });
    hub.faults.add({ repo: SMOL, path: 'onnx/model_q4.onnx_data', kind: 'stall-after', bytes: 600_000 });
    const result = await runOwm(['pull', 'smollm2-135m'], env);
    hub.faults.clear();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /retrying/);
    await assertHfCacheLayout(hubCacheOf(env), smol, Q4_FILES);
  });

  test('corrupted bytes are deleted and fetched again; twice corrupted fails cleanly', async () => {
    const { env } = await createSandbox(hub.url);
    hub.faults.add({ repo: SMOL, path: 'onnx/model_q4.onnx_data', kind: 'corrupt' });
    const healed = await runOwm(['pull', 'smollm2-135m'], env);
    assert.equal(healed.code, 0, healed.stderr);
    assert.match(healed.stderr, /hash mismatch/);
    await assertHfCacheLayout(hubCacheOf(env), smol, Q4_FILES);

    const fresh = await createSandbox(hub.url);
    hub.faults.add({ repo: SMOL, path: 'onnx/model_q4.onnx_data', kind: 'corrupt', times: 2 });
    const failed = await runOwm(['pull', 'smollm2-135m'], fresh.env);
    hub.faults.clear();
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^error: Downloaded bytes of 'onnx\/model_q4.onnx_data' do not match/m);
    const etag = smol.files['onnx/model_q4.onnx_data'].etag;
    const left = await blobNames(hubCacheOf(fresh.env), SMOL);
    assert.ok(!left.some((name) => name.startsWith(etag)), `no bad bytes kept: ${left.join(', ')}`);
    assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
  });

  test('offline mode uses the cache and never touches the network', async () => {
    const { env } = await createSandbox(hub.url);
    assert.equal((await runOwm(['pull', 'smollm2-135m', '-q'], env)).code, 0);
    const requestsBefore = hub.requests.length;
    const offline = await runOwm(['pull', 'smollm2-135m'], { ...env, HF_HUB_OFFLINE: '1' });
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stderr, /from cache/);
    const flag = await runOwm(['pull', 'smollm2-135m', '--offline'], env);
    assert.equal(flag.code, 0, flag.stderr);
    assert.equal(hub.requests.length, requestsBefore, 'no request reached the hub');

    const missing = await runOwm(['pull', 'acme/tiny-genai', '--offline'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: acme\/tiny-genai@main is not in the cache and owm is offline/m);
  });

  test('pulls of a later commit keep the files of the earlier one until removed', async () => {
    const { env } = await createSandbox(hub.url);
    const repo = await hub.addRepo(transformersJsRepo('acme/moving', { dataBytes: 100_000 }));
    assert.equal((await runOwm(['pull', 'acme/moving', '-q'], env)).code, 0);
    const updated = await hub.commit('acme/moving', { files: { 'config.json': '{"model_type":"llama","changed":true}' } });
    assert.notEqual(updated.commit, repo.commit);
    assert.equal((await runOwm(['pull', 'acme/moving', '-q'], env)).code, 0);
    await assertHfCacheLayout(hubCacheOf(env), updated, Q4_FILES);
    const old = path.join(repoCacheDir(hubCacheOf(env), 'acme/moving'), 'snapshots', repo.commit, 'config.json');
    assert.equal(await readFile(old, 'utf8'), JSON.stringify(JSON.parse(await readFile(old, 'utf8'))));
  });
});
