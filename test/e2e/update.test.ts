import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeRepoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { repoCacheDir } from '../support/hf-cache-assertions.js';
import { createSandbox, hubCacheOf, runOwm } from '../support/run-owm.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const REPO = 'acme/moving-weights';
const DATA = 'onnx/model_q4.onnx_data';
const GREEDY = ['Why is the sky blue?', '--temperature', '0', '--max-tokens', '12', '--json'];

describe('owm outdated and owm update: a weights-only update', () => {
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;
  let before_: string;
  /** The repo's commit A with commit B's weights: what the updated model must run. */
  let updatedDir: string;
  let newData: Buffer;

  before(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'owm-update-'));
    before_ = path.join(root, 'a');
    const other = path.join(root, 'other');
    writeSyntheticModel(before_, { arch: 'llama', style: 'optimum', dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 5, externalData: true });
    writeSyntheticModel(other, { arch: 'llama', style: 'optimum', dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 6, externalData: true });
    newData = readFileSync(path.join(other, DATA));
    updatedDir = path.join(root, 'updated');
    cpSync(before_, updatedDir, { recursive: true });
    cpSync(path.join(other, DATA), path.join(updatedDir, DATA));
    hub = await startFakeHub();
    await hub.addRepo(await fakeRepoFromFolder(REPO, before_));
    ({ env } = await createSandbox(hub.url));
  });
  after(async () => {
    await hub.close();
  });

  const answer = async (model: string, extra: string[] = []): Promise<string> => {
    const result = await runOwm(['run', model, ...GREEDY, ...extra], env);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as { text: string }).text;
  };

  test('a README-only commit is no update; new weights are, named with the bytes to download; update fetches only them', async () => {
    const first = await answer(REPO);
    const firstExact = await answer(REPO, ['--exact']);

    await hub.commit(REPO, { files: { 'README.md': '# new readme\n' } });
    const readmeOnly = await runOwm(['outdated'], env);
    assert.equal(readmeOnly.code, 0, readmeOnly.stderr);
    assert.match(readmeOnly.stdout, /Every pulled model is up to date \(1 checked\)/);

    const weights = await hub.commit(REPO, { files: { [DATA]: newData } });
    const outdated = await runOwm(['outdated'], env);
    assert.equal(outdated.code, 0, outdated.stderr);
    assert.match(outdated.stdout, new RegExp(`^acme/moving-weights\\s+q4\\s+[0-9a-f]{8} → ${weights.commit.slice(0, 8)}\\s+onnx/model_q4\\.onnx_data\\s+\\d`, 'm'));
    const json = JSON.parse((await runOwm(['outdated', REPO, '--json'], env)).stdout) as Array<{ outdated: boolean; changedFiles: Array<{ path: string }>; bytesToDownload: number }>;
    assert.deepEqual(json.map((status) => status.changedFiles.map((file) => file.path)), [[DATA]]);
    assert.equal(json[0]?.bytesToDownload, newData.length);

    const requestsBefore = hub.requests.length;
    const update = await runOwm(['update', '-q'], env);
    assert.equal(update.code, 0, update.stderr);
    const downloads = hub.requests.slice(requestsBefore).filter((request) => request.host === 'hub' && request.url.includes('/resolve/'));
    assert.deepEqual(downloads.map((request) => decodeURIComponent(request.url).split('/resolve/')[1]?.split('/').slice(1).join('/')), [DATA], 'only the changed file');

    const snapshots = readdirSync(path.join(repoCacheDir(hubCacheOf(env), REPO), 'snapshots'));
    assert.deepEqual(snapshots, [weights.commit], 'the old snapshot is gone');
    assert.equal((await runOwm(['verify', REPO], env)).code, 0);

    // The rewritten graph follows the new weights, in both modes.
    const updated = await answer(REPO);
    assert.equal(updated, await answer(updatedDir));
    assert.equal(await answer(REPO, ['--exact']), await answer(updatedDir, ['--exact']));
    assert.equal(await answer(REPO, ['--no-optimize']), await answer(updatedDir, ['--no-optimize']));
    assert.notEqual(updated, first, 'new weights, new answer');
    assert.notEqual(await answer(REPO, ['--exact']), firstExact);

    assert.match((await runOwm(['outdated'], env)).stdout, /up to date/);
  });

  test('offline, outdated is a one-line error', async () => {
    const result = await runOwm(['outdated', '--offline'], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: Checking for updates needs the Hub, and owm is offline/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});
