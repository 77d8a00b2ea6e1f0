import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { scanCache } from '../../src/hub/scan-cache.js';
import { createTempCache, etagFor, fixtureRepoDir, writeSnapshot, type FixtureFile } from './hf-cache-fixture.js';

const REPO = 'onnx-community/Tiny-LM';
const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const tokenizer: FixtureFile = { path: 'tokenizer.json', content: '{"model":{}}' };
const configOld: FixtureFile = { path: 'config.json', content: '{"v":1}' };
const configNew: FixtureFile = { path: 'config.json', content: '{"v":2}' };
const weightsQ4: FixtureFile = { path: 'onnx/model_q4.onnx', content: Buffer.alloc(3000, 7), lfs: true };

describe('scanCache', () => {
  let cache: Awaited<ReturnType<typeof createTempCache>>;
  beforeEach(async () => {
    cache = await createTempCache();
  });
  afterEach(async () => {
    await cache.cleanup();
  });

  it('returns nothing for a cache folder that does not exist', async () => {
    const scan = await scanCache(path.join(cache.root, 'nowhere'));
    assert.deepEqual(scan.repos, []);
    assert.equal(scan.sizeOnDisk, 0);
  });

  it('reads a huggingface_hub cache: snapshots, refs, shared blobs, nested links, partials', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, OLD, [tokenizer, configOld, weightsQ4], ['refs/pr/1']);
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer, configNew, weightsQ4], ['main']);
    const dir = fixtureRepoDir(hubCache, REPO);
    // What Python leaves around: a partial download, absence markers and lock files.
    await writeFile(path.join(dir, 'blobs', `${'c'.repeat(64)}.incomplete`), Buffer.alloc(500));
    await mkdir(path.join(dir, '.no_exist', NEW), { recursive: true });
    await writeFile(path.join(dir, '.no_exist', NEW, 'generation_config.json'), '');
    await mkdir(path.join(hubCache, '.locks', 'models--onnx-community--Tiny-LM'), { recursive: true });
    await writeFile(path.join(hubCache, '.locks', 'models--onnx-community--Tiny-LM', `${etagFor(weightsQ4)}.lock`), '');
    await mkdir(path.join(hubCache, 'datasets--someone--data', 'blobs'), { recursive: true });
    await writeSnapshot(hubCache, 'HuggingFaceTB/Other', NEW, [{ path: 'config.json', content: 'x' }], ['main']);

    const scan = await scanCache(hubCache);
    assert.deepEqual(
      scan.repos.map((r) => r.repo),
      ['HuggingFaceTB/Other', REPO],
    );
    const repo = scan.repos[1]!;
    assert.equal(repo.broken, false);
    assert.deepEqual(repo.problems, []);
    assert.deepEqual(repo.refs, { main: NEW, 'refs/pr/1': OLD });

    const blobBytes = 12 + 7 + 7 + 3000; // tokenizer and weights counted once
    assert.equal(repo.sizeOnDisk, blobBytes + 500);
    assert.equal(scan.sizeOnDisk, repo.sizeOnDisk + 1);
    assert.deepEqual(repo.partials, [
      { etag: 'c'.repeat(64), size: 500, path: path.join(dir, 'blobs', `${'c'.repeat(64)}.incomplete`) },
    ]);
    assert.equal(repo.blobs.length, 4);
    assert.ok(repo.blobs.every((b) => b.referenced));

    assert.deepEqual(
      repo.snapshots.map((s) => [s.commit, s.refs, s.size, s.broken]),
      [
        [OLD, ['refs/pr/1'], 12 + 7 + 3000, false],
        [NEW, ['main'], 12 + 7 + 3000, false],
      ],
    );
    const files = repo.snapshots[1]!.files;
    assert.deepEqual(
      files.map((f) => [f.path, f.kind, f.etag, f.size]),
      [
        ['config.json', 'link', etagFor(configNew), 7],
        ['onnx/model_q4.onnx', 'link', etagFor(weightsQ4), 3000],
        ['tokenizer.json', 'link', etagFor(tokenizer), 12],
      ],
    );
    assert.match(etagFor(weightsQ4), /^[0-9a-f]{64}$/);
    assert.match(etagFor(tokenizer), /^[0-9a-f]{40}$/);
  });

  it('reports dangling links, stray files, links out of the cache and refs to missing snapshots', async () => {
    const { hubCache, root } = cache;
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer, configNew, weightsQ4], ['main', 'v1']);
    const dir = fixtureRepoDir(hubCache, REPO);
    const snap = path.join(dir, 'snapshots', NEW);
    await rm(path.join(dir, 'blobs', etagFor(weightsQ4)));
    await writeFile(path.join(snap, 'stray.txt'), 'abcd');
    await writeFile(path.join(root, 'outside.bin'), 'secret');
    await symlink(path.join(root, 'outside.bin'), path.join(snap, 'escape.bin'));
    await writeFile(path.join(dir, 'refs', 'v1'), OLD);

    const [repo] = (await scanCache(hubCache, { repo: REPO })).repos;
    assert.ok(repo);
    assert.equal(repo.broken, true);
    assert.deepEqual(
      repo.problems.map((p) => [p.kind, path.relative(dir, p.path)]),
      [
        ['foreign-link', path.join('snapshots', NEW, 'escape.bin')],
        ['dangling-link', path.join('snapshots', NEW, 'onnx', 'model_q4.onnx')],
        ['not-a-link', path.join('snapshots', NEW, 'stray.txt')],
        ['dangling-ref', path.join('refs', 'v1')],
      ],
    );
    const snapshot = repo.snapshots[0]!;
    assert.equal(snapshot.broken, true);
    assert.deepEqual(snapshot.refs, ['main']);
    assert.equal(snapshot.size, 12 + 7 + 4);
    assert.equal(repo.sizeOnDisk, 12 + 7 + 4);
  });

  it('scans one repo on request and finds nothing for a repo not cached', async () => {
    const { hubCache } = cache;
    await writeSnapshot(hubCache, REPO, NEW, [tokenizer], ['main']);
    await writeSnapshot(hubCache, 'HuggingFaceTB/Other', NEW, [configOld], ['main']);
    assert.deepEqual(
      (await scanCache(hubCache, { repo: REPO })).repos.map((r) => r.repo),
      [REPO],
    );
    assert.deepEqual((await scanCache(hubCache, { repo: 'no/such' })).repos, []);
  });
});
