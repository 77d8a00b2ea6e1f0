import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CacheError } from '../../src/errors.js';
import { tryLockFile } from '../../src/hub/file-lock.js';
import { removeModel } from '../../src/hub/remove-model.js';
import { scanCache } from '../../src/hub/scan-cache.js';
import { createTempCache, etagFor, fixtureRepoDir, writeSnapshot, type FixtureFile } from './hf-cache-fixture.js';

const REPO = 'onnx-community/Tiny-LM';
const OTHER = 'HuggingFaceTB/Other';
const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const tokenizer: FixtureFile = { path: 'tokenizer.json', content: '{"model":{}}' };
const configOld: FixtureFile = { path: 'config.json', content: '{"v":1}' };
const configNew: FixtureFile = { path: 'config.json', content: '{"v":2}' };
const q4: FixtureFile = { path: 'onnx/model_q4.onnx', content: Buffer.alloc(3000, 4), lfs: true };
const fp16: FixtureFile = { path: 'onnx/model_fp16.onnx', content: Buffer.alloc(1000, 16), lfs: true };
const fp16Data: FixtureFile = { path: 'onnx/model_fp16.onnx_data', content: Buffer.alloc(5000, 17), lfs: true };

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('removeModel', () => {
  let cache: Awaited<ReturnType<typeof createTempCache>>;
  let dir: string;
  beforeEach(async () => {
    cache = await createTempCache();
    dir = fixtureRepoDir(cache.hubCache, REPO);
  });
  afterEach(async () => {
    await cache.cleanup();
  });

  it('removes one snapshot and keeps the blobs the other snapshot shares', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, OLD, [tokenizer, configOld, q4], ['v1']);
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer, configNew, q4], ['main']);

    const removed = await removeModel({ hubCache, repo: REPO, commit: OLD });
    assert.deepEqual(removed.snapshotsRemoved, [OLD]);
    assert.deepEqual(removed.refsRemoved, ['v1']);
    assert.deepEqual(removed.blobsRemoved, [etagFor(configOld)]);
    assert.equal(removed.bytesFreed, 7);
    assert.equal(removed.filesRemoved, 3);
    assert.equal(removed.repoRemoved, false);

    const [repo] = (await scanCache(hubCache)).repos;
    assert.ok(repo);
    assert.equal(repo.broken, false);
    assert.deepEqual(repo.refs, { main: NEW });
    assert.deepEqual(
      repo.snapshots.map((s) => s.commit),
      [NEW],
    );
    assert.equal(await readFile(path.join(dir, 'snapshots', NEW, 'tokenizer.json'), 'utf8'), '{"model":{}}');
  });

  it("removes one variant's files from a snapshot and keeps the other variant's and shared ones", async () => {
    const { hubCache } = cache;
    // The same bytes under two paths: removing one path must keep the blob for the other.
    const q4Copy: FixtureFile = { ...q4, path: 'onnx/model_q4_copy.onnx' };
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer, configNew, q4, fp16, fp16Data, q4Copy], ['main']);

    const files = ['onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_q4.onnx'];
    const removed = await removeModel({ hubCache, repo: REPO, commit: NEW, files });
    assert.equal(removed.filesRemoved, 3);
    assert.deepEqual(removed.blobsRemoved.sort(), [etagFor(fp16), etagFor(fp16Data)].sort());
    assert.equal(removed.bytesFreed, 6000);
    assert.deepEqual(removed.snapshotsRemoved, []);
    assert.deepEqual(removed.refsRemoved, []);

    const snapshot = (await scanCache(hubCache)).repos[0]!.snapshots[0]!;
    assert.deepEqual(
      snapshot.files.map((f) => [f.path, f.kind]),
      [
        ['config.json', 'link'],
        ['onnx/model_q4_copy.onnx', 'link'],
        ['tokenizer.json', 'link'],
      ],
    );
  });

  it('drops the snapshot, its ref and its absence markers when its last files go', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, OLD, [tokenizer, q4], ['refs/pr/1']);
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer], ['main']);
    await mkdir(path.join(dir, '.no_exist', OLD), { recursive: true });

    const removed = await removeModel({ hubCache, repo: REPO, commit: OLD, files: ['tokenizer.json', 'onnx/model_q4.onnx'] });
    assert.deepEqual(removed.snapshotsRemoved, [OLD]);
    assert.deepEqual(removed.refsRemoved, ['refs/pr/1']);
    assert.deepEqual(removed.blobsRemoved, [etagFor(q4)]);
    assert.equal(await exists(path.join(dir, 'snapshots', OLD)), false);
    assert.equal(await exists(path.join(dir, '.no_exist', OLD)), false);
    assert.equal(await exists(path.join(dir, 'refs', 'refs')), false);
    assert.equal(await readFile(path.join(dir, 'refs', 'main'), 'utf8'), NEW);
  });

  it('removes a whole repo, partial downloads included, and leaves other repos and locks alone', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, OLD, [tokenizer, configOld], ['v1']);
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer, configNew, q4], ['main']);
    await writeSnapshot(hubCache, OTHER, NEW, [tokenizer], ['main']);
    await writeFile(path.join(dir, 'blobs', `${'c'.repeat(64)}.incomplete`), Buffer.alloc(100));
    const locks = path.join(hubCache, '.locks', 'models--onnx-community--Tiny-LM');
    await mkdir(locks, { recursive: true });
    await writeFile(path.join(locks, `${etagFor(q4)}.lock`), '');

    const removed = await removeModel({ hubCache, repo: REPO });
    assert.equal(removed.repoRemoved, true);
    assert.equal(removed.bytesFreed, 12 + 7 + 7 + 3000 + 100);
    assert.deepEqual(removed.snapshotsRemoved.sort(), [OLD, NEW]);
    assert.deepEqual(removed.busyBlobs, []);
    assert.equal(await exists(dir), false);
    assert.equal(await exists(path.join(locks, `${etagFor(q4)}.lock`)), true);
    assert.deepEqual(
      (await scanCache(hubCache)).repos.map((r) => [r.repo, r.broken]),
      [[OTHER, false]],
    );
  });

  it('keeps a blob whose lock a running download holds', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer, q4], ['main']);
    const lock = tryLockFile(path.join(hubCache, '.locks', 'models--onnx-community--Tiny-LM', `${etagFor(q4)}.lock`));
    assert.ok(lock);
    try {
      const removed = await removeModel({ hubCache, repo: REPO });
      assert.deepEqual(removed.busyBlobs, [etagFor(q4)]);
      assert.deepEqual(removed.blobsRemoved, [etagFor(tokenizer)]);
      assert.equal(removed.repoRemoved, false);
      assert.equal(await exists(path.join(dir, 'blobs', etagFor(q4))), true);
    } finally {
      lock.release();
    }
    const again = await removeModel({ hubCache, repo: REPO });
    assert.deepEqual(again.blobsRemoved, [etagFor(q4)]);
    assert.equal(again.repoRemoved, true);
  });

  it('never deletes through a symlink that leads out of the cache', async () => {
    const { hubCache, root } = cache;
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer], ['main']);
    const outside = path.join(root, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'model_q4.onnx'), 'precious');
    await writeFile(path.join(outside, 'escape.bin'), 'precious');
    const snap = path.join(dir, 'snapshots', NEW);
    await symlink(outside, path.join(snap, 'onnx'));
    await symlink(path.join(outside, 'escape.bin'), path.join(snap, 'escape.bin'));

    const partial = await removeModel({ hubCache, repo: REPO, commit: NEW, files: ['onnx/model_q4.onnx'] });
    assert.equal(partial.filesRemoved, 0);
    await assert.rejects(removeModel({ hubCache, repo: REPO, commit: NEW, files: ['../../blobs/x'] }), CacheError);
    await assert.rejects(removeModel({ hubCache, repo: REPO, commit: '..', files: ['config.json'] }), CacheError);

    const removed = await removeModel({ hubCache, repo: REPO });
    assert.equal(removed.repoRemoved, true);
    assert.deepEqual((await readdir(outside)).sort(), ['escape.bin', 'model_q4.onnx']);
    assert.equal(await readFile(path.join(outside, 'model_q4.onnx'), 'utf8'), 'precious');
  });

  it('says what to do when the repo or snapshot is not cached', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer], ['main']);
    await assert.rejects(removeModel({ hubCache, repo: 'no/such' }), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(error.code, 'not-cached');
      assert.match(error.message, /owm list/);
      return true;
    });
    await assert.rejects(removeModel({ hubCache, repo: REPO, commit: OLD }), /Snapshot a{40} of onnx-community\/Tiny-LM/);
  });
});
