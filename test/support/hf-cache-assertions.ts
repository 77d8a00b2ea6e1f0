import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { FakeRepoInfo } from './fake-hub.js';

/** The cache folder of a repo, spelled out independently of owm's own layout code. */
export function repoCacheDir(hubCache: string, repo: string): string {
  return path.join(hubCache, `models--${repo.replace('/', '--')}`);
}

/**
 * Asserts the cache holds exactly `paths` of `info`'s commit, laid out as Python's huggingface_hub
 * lays it out: refs/main holding the commit (no newline), relative symlinks from
 * snapshots/<commit>/<path> to blobs/<etag>, and blobs whose bytes hash to what the Hub lists.
 */
export async function assertHfCacheLayout(
  hubCache: string,
  info: FakeRepoInfo,
  paths: string[],
  revision = 'main',
): Promise<void> {
  const dir = repoCacheDir(hubCache, info.id);
  assert.equal(await readFile(path.join(dir, 'refs', revision), 'utf8'), info.commit, 'ref holds the commit, no newline');
  const snapshot = path.join(dir, 'snapshots', info.commit);
  const present = (await readdir(snapshot, { recursive: true, withFileTypes: true }))
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(snapshot, path.join(entry.parentPath, entry.name)))
    .sort();
  assert.deepEqual(present, [...paths].sort(), 'the snapshot holds exactly the variant files');
  for (const filePath of paths) {
    const file = info.files[filePath];
    const depth = filePath.split('/').length - 1;
    const expectedTarget = [...Array(2 + depth).fill('..'), 'blobs', file.etag].join('/');
    assert.equal(await readlink(path.join(snapshot, filePath)), expectedTarget, `${filePath} links to its blob`);
    const bytes = await readFile(path.join(dir, 'blobs', file.etag));
    assert.equal(bytes.length, file.size, `${filePath} size`);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, `${filePath} content`);
  }
  const blobs = await readdir(path.join(dir, 'blobs'));
  assert.deepEqual(
    blobs.filter((name) => name.endsWith('.incomplete')),
    [],
    'no partial download is left behind',
  );
}

/** Names in the repo's blobs folder (complete and partial), empty when there is none. */
export async function blobNames(hubCache: string, repo: string): Promise<string[]> {
  const blobs = path.join(repoCacheDir(hubCache, repo), 'blobs');
  return existsSync(blobs) ? readdir(blobs) : [];
}
