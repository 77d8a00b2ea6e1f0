import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CacheError } from '../errors.js';
import { repoDir, snapshotDir } from './cache-layout.js';

/**
 * What sits at one path of a snapshot:
 * - `link`: a symlink to a blob of the repo that exists (the healthy case);
 * - `dangling-link`: a symlink to a blob of the repo that is gone;
 * - `foreign-link`: a symlink that leads out of the repo's `blobs/` folder (never followed);
 * - `file`: a regular file where the cache layout wants a symlink;
 * - `missing`: nothing, or a path under something that is not a real folder.
 */
export type SnapshotEntryKind = 'link' | 'dangling-link' | 'foreign-link' | 'file' | 'missing';

/** One file of a snapshot as found on disk. */
export interface SnapshotEntry {
  /** Repo path with forward slashes (`onnx/model_q4.onnx`). */
  path: string;
  kind: SnapshotEntryKind;
  /** The blob's name (its etag), for `link` and `dangling-link`. */
  etag?: string;
  /** Absolute path of the blob, for `link` and `dangling-link`. */
  blobPath?: string;
  /** The blob's size for a `link`, the file's own for a `file`, 0 otherwise. */
  size: number;
}

/** True for a relative forward-slash path that stays inside the folder it is joined to. */
export function isSafeRepoPath(repoPath: string): boolean {
  if (repoPath === '' || repoPath.startsWith('/') || repoPath.includes('\\') || repoPath.includes('\0')) {
    return false;
  }
  return repoPath.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Looks at one repo path of a snapshot without following anything out of the cache. */
export async function inspectSnapshotEntry(
  hubCache: string,
  repo: string,
  commit: string,
  repoPath: string,
): Promise<SnapshotEntry> {
  if (!isSafeRepoPath(repoPath) || !isSafeRepoPath(commit) || commit.includes('/')) {
    throw new CacheError(`Refusing the path '${commit}/${repoPath}': it would leave the snapshot folder of ${repo}.`, {
      code: 'unsafe-path',
    });
  }
  const parts = repoPath.split('/');
  let dir = snapshotDir(hubCache, repo, commit);
  // Every folder from the snapshot down must be a real folder: a symlinked one could lead anywhere.
  for (const folder of ['', ...parts.slice(0, -1)]) {
    dir = path.join(dir, folder);
    const info = await lstatOrUndefined(dir);
    if (!info?.isDirectory()) return { path: repoPath, kind: 'missing', size: 0 };
  }
  const file = path.join(dir, parts[parts.length - 1] as string);
  const info = await lstatOrUndefined(file);
  if (!info) return { path: repoPath, kind: 'missing', size: 0 };
  if (info.isSymbolicLink()) return classifyLink(hubCache, repo, repoPath, file);
  if (info.isFile()) return { path: repoPath, kind: 'file', size: info.size };
  return { path: repoPath, kind: 'missing', size: 0 };
}

/** Lists every file of a snapshot, sorted by path; symlinked folders show up as foreign links. */
export async function listSnapshotEntries(hubCache: string, repo: string, commit: string): Promise<SnapshotEntry[]> {
  const root = snapshotDir(hubCache, repo, commit);
  const entries: SnapshotEntry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let children: Dirent[];
    try {
      children = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const child of children) {
      const repoPath = prefix + child.name;
      const full = path.join(dir, child.name);
      if (child.isSymbolicLink()) {
        entries.push(await classifyLink(hubCache, repo, repoPath, full));
      } else if (child.isDirectory()) {
        await walk(full, `${repoPath}/`);
      } else if (child.isFile()) {
        entries.push({ path: repoPath, kind: 'file', size: (await lstat(full)).size });
      }
    }
  };
  // A symlinked snapshot folder is not the cache layout; its contents are not this snapshot's.
  if ((await lstatOrUndefined(root))?.isDirectory()) await walk(root, '');
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function classifyLink(hubCache: string, repo: string, repoPath: string, link: string): Promise<SnapshotEntry> {
  const blobsDir = path.join(repoDir(hubCache, repo), 'blobs');
  const target = path.resolve(path.dirname(link), await readlink(link));
  const name = path.basename(target);
  const inBlobs =
    path.dirname(target) === blobsDir ||
    // Python falls back to absolute links, which may spell the cache through another symlink.
    (await sameRealPath(path.dirname(target), blobsDir));
  if (!inBlobs || name.endsWith('.incomplete')) return { path: repoPath, kind: 'foreign-link', size: 0 };
  const blobPath = path.join(blobsDir, name);
  const info = await statOrUndefined(blobPath);
  if (!info?.isFile()) return { path: repoPath, kind: 'dangling-link', etag: name, blobPath, size: 0 };
  return { path: repoPath, kind: 'link', etag: name, blobPath, size: info.size };
}

async function sameRealPath(a: string, b: string): Promise<boolean> {
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false;
  }
}

async function lstatOrUndefined(file: string) {
  try {
    return await lstat(file);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

async function statOrUndefined(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}
