import assert from 'node:assert/strict';
import { open, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CacheError } from '../../src/errors.js';
import { verifySnapshot, type VerifyProgress } from '../../src/hub/verify-snapshot.js';
import { createTempCache, etagFor, fixtureRepoDir, repoFileOf, writeSnapshot, type FixtureFile } from './hf-cache-fixture.js';

const REPO = 'onnx-community/Tiny-LM';
const COMMIT = 'b'.repeat(40);
const tokenizer: FixtureFile = { path: 'tokenizer.json', content: '{"model":{"vocab":{}}}' };
const config: FixtureFile = { path: 'config.json', content: '{"model_type":"llama"}' };
// Bigger than the hasher's 1 MiB read size, so progress arrives in several steps.
const q4: FixtureFile = {
  path: 'onnx/model_q4.onnx',
  content: Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 31) % 251)),
  lfs: true,
};
const q4Copy: FixtureFile = { ...q4, path: 'onnx/model_q4_copy.onnx' };

async function flipByte(file: string, at: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}

describe('verifySnapshot', () => {
  let cache: Awaited<ReturnType<typeof createTempCache>>;
  let blobs: string;
  let listing: Awaited<ReturnType<typeof writeSnapshot>>;
  beforeEach(async () => {
    cache = await createTempCache();
    blobs = path.join(fixtureRepoDir(cache.hubCache, REPO), 'blobs');
    listing = await writeSnapshot(cache.hubCache, REPO, COMMIT, [tokenizer, config, q4, q4Copy], ['main']);
  });
  afterEach(async () => {
    await cache.cleanup();
  });

  it('finds an intact snapshot ok, offline and against the listing, hashing a shared blob once', async () => {
    const offline = await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT });
    assert.equal(offline.ok, true);
    assert.deepEqual(
      offline.files.map((f) => [f.path, f.status, f.actualHash]),
      [
        ['config.json', 'ok', etagFor(config)],
        ['onnx/model_q4.onnx', 'ok', etagFor(q4)],
        ['onnx/model_q4_copy.onnx', 'ok', etagFor(q4)],
        ['tokenizer.json', 'ok', etagFor(tokenizer)],
      ],
    );

    const progress: VerifyProgress[] = [];
    const online = await verifySnapshot({
      hubCache: cache.hubCache,
      repo: REPO,
      commit: COMMIT,
      files: listing,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(online.ok, true);
    const total = 22 + 22 + 1_500_000;
    assert.ok(progress.every((p) => p.bytesTotal === total && p.bytesDone <= total));
    assert.equal(progress.at(-1)?.bytesDone, total);
    assert.ok(progress.filter((p) => p.file === 'onnx/model_q4.onnx').length >= 3);
    assert.equal(progress.filter((p) => p.file === 'onnx/model_q4_copy.onnx').length, 0);
  });

  it('reports a flipped byte as hash-mismatch, in an LFS blob and in a git blob', async () => {
    await flipByte(path.join(blobs, etagFor(q4)), 1_000_000);
    await flipByte(path.join(blobs, etagFor(config)), 3);
    for (const files of [undefined, listing]) {
      const result = await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT, files });
      assert.equal(result.ok, false);
      const byPath = new Map(result.files.map((f) => [f.path, f]));
      for (const file of [q4, config]) {
        const check = byPath.get(file.path);
        assert.equal(check?.status, 'hash-mismatch');
        assert.equal(check.expectedHash, etagFor(file));
        assert.notEqual(check.actualHash, etagFor(file));
        assert.match(check.actualHash ?? '', /^[0-9a-f]+$/);
      }
      assert.equal(byPath.get('tokenizer.json')?.status, 'ok');
    }
  });

  it('reports a truncated blob as size-mismatch against the listing, hash-mismatch offline', async () => {
    await truncate(path.join(blobs, etagFor(q4)), 1000);
    const online = await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT, files: listing });
    const check = online.files.find((f) => f.path === 'onnx/model_q4.onnx');
    assert.deepEqual(
      { status: check?.status, expectedSize: check?.expectedSize, actualSize: check?.actualSize },
      { status: 'size-mismatch', expectedSize: 1_500_000, actualSize: 1000 },
    );
    const offline = await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT });
    assert.equal(offline.files.find((f) => f.path === 'onnx/model_q4.onnx')?.status, 'hash-mismatch');
  });

  it('reports a deleted blob as a dangling link and a listed file absent from the snapshot as missing', async () => {
    await rm(path.join(blobs, etagFor(tokenizer)));
    const extra = repoFileOf({ path: 'onnx/model_q4.onnx_data', content: 'weights', lfs: true });
    const result = await verifySnapshot({
      hubCache: cache.hubCache,
      repo: REPO,
      commit: COMMIT,
      files: [...listing, extra],
    });
    const byPath = new Map(result.files.map((f) => [f.path, f]));
    assert.equal(byPath.get('tokenizer.json')?.status, 'dangling-link');
    assert.equal(byPath.get('tokenizer.json')?.etag, etagFor(tokenizer));
    assert.deepEqual(
      { status: byPath.get(extra.path)?.status, expectedSize: byPath.get(extra.path)?.expectedSize },
      { status: 'missing', expectedSize: 7 },
    );
    assert.equal(result.ok, false);
  });

  it('reports a link to another blob than the hub lists as hash-mismatch without reading it', async () => {
    const newer = repoFileOf({ path: 'config.json', content: '{"model_type":"qwen2"}' });
    const files = listing.map((f) => (f.path === 'config.json' ? newer : f));
    const check = (await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT, files })).files.find(
      (f) => f.path === 'config.json',
    );
    assert.deepEqual(
      { status: check?.status, expected: check?.expectedHash, actual: check?.actualHash },
      { status: 'hash-mismatch', expected: newer.oid, actual: etagFor(config) },
    );
  });

  it('checks a regular file left where a symlink belongs against the listing', async () => {
    const snap = path.join(fixtureRepoDir(cache.hubCache, REPO), 'snapshots', COMMIT);
    await rm(path.join(snap, 'config.json'));
    await writeFile(path.join(snap, 'config.json'), config.content);
    const offline = await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT });
    assert.equal(offline.files.find((f) => f.path === 'config.json')?.status, 'not-a-link');
    await writeFile(path.join(snap, 'config.json'), '{"model_type":"LLAMA"}');
    const online = await verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: COMMIT, files: listing });
    assert.equal(online.files.find((f) => f.path === 'config.json')?.status, 'hash-mismatch');
  });

  it('says how to get a snapshot that is not in the cache', async () => {
    await assert.rejects(verifySnapshot({ hubCache: cache.hubCache, repo: REPO, commit: 'c'.repeat(40) }), (error: unknown) => {
      assert.ok(error instanceof CacheError);
      assert.equal(error.code, 'not-cached');
      assert.match(error.message, /owm pull/);
      return true;
    });
  });
});
