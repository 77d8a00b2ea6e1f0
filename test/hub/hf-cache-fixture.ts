import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RepoFile } from '../../src/hub/types.js';

/** A file to place in a fixture snapshot; `lfs` files get a sha256 blob name, others a git sha1. */
export interface FixtureFile {
  path: string;
  content: string | Buffer;
  lfs?: boolean;
}

/** A fresh temp folder to act as a hub cache, and a way to delete it. */
export async function createTempCache(): Promise<{ hubCache: string; root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'owm-cache-'));
  const hubCache = path.join(root, 'hub');
  await mkdir(hubCache);
  return { root, hubCache, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** The tree-API entry the Hub would list for a file. */
export function repoFileOf(file: FixtureFile): RepoFile {
  const content = Buffer.from(file.content);
  const gitSha1 = (bytes: Buffer) =>
    createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  if (!file.lfs) return { path: file.path, size: content.length, oid: gitSha1(content) };
  const sha256 = createHash('sha256').update(content).digest('hex');
  const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`);
  return { path: file.path, size: content.length, oid: gitSha1(pointer), lfs: { oid: sha256, size: content.length } };
}

/**
 * Writes a snapshot the way huggingface_hub does: content in `blobs/<etag>`, a relative symlink
 * per file (`../../blobs/<etag>`, one more `../` per folder level), and `refs/<rev>` holding the
 * commit without a newline. Returns the Hub's listing of the files.
 */
export async function writeSnapshot(
  hubCache: string,
  repo: string,
  commit: string,
  files: FixtureFile[],
  refs: string[] = [],
): Promise<RepoFile[]> {
  const repoFolder = path.join(hubCache, `models--${repo.replace('/', '--')}`);
  const listing: RepoFile[] = [];
  for (const file of files) {
    const entry = repoFileOf(file);
    const etag = entry.lfs?.oid ?? entry.oid;
    await mkdir(path.join(repoFolder, 'blobs'), { recursive: true });
    await writeFile(path.join(repoFolder, 'blobs', etag), file.content);
    const link = path.join(repoFolder, 'snapshots', commit, ...file.path.split('/'));
    await mkdir(path.dirname(link), { recursive: true });
    const depth = file.path.split('/').length - 1;
    await symlink(`${'../'.repeat(depth + 2)}blobs/${etag}`, link);
    listing.push(entry);
  }
  await mkdir(path.join(repoFolder, 'snapshots', commit), { recursive: true });
  for (const ref of refs) {
    const refFile = path.join(repoFolder, 'refs', ...ref.split('/'));
    await mkdir(path.dirname(refFile), { recursive: true });
    await writeFile(refFile, commit);
  }
  return listing;
}

/** The cache folder of a fixture repo. */
export function fixtureRepoDir(hubCache: string, repo: string): string {
  return path.join(hubCache, `models--${repo.replace('/', '--')}`);
}

/** The blob name the fixture gives a file. */
export function etagFor(file: FixtureFile): string {
  const entry = repoFileOf(file);
  return entry.lfs?.oid ?? entry.oid;
}
