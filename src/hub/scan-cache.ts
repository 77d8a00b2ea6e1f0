import type { Dirent } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CacheError, OwmError } from '../errors.js';
import { repoDir, repoFolderName, repoFromFolderName } from './cache-layout.js';
import { listSnapshotEntries, type SnapshotEntry } from './snapshot-entry.js';
import { readDirEntries } from './read-dir-entries.js';

/**
 * Why a repo's cache is broken, as huggingface_hub judges it: a symlink to a missing blob, a
 * symlink out of the repo's blobs, a regular file under `snapshots/`, a ref to a missing snapshot.
 */
export type CacheProblemKind = 'dangling-link' | 'foreign-link' | 'not-a-link' | 'dangling-ref';

/** One broken thing in a repo folder. */
export interface CacheProblem {
  kind: CacheProblemKind;
  /** Absolute path of the offending file. */
  path: string;
}

/** One complete blob. */
export interface CachedBlob {
  /** The blob's file name: sha256 for LFS files, git sha1 otherwise. */
  etag: string;
  size: number;
  /** False for a blob no snapshot links to (left behind, or being downloaded right now). */
  referenced: boolean;
}

/** A `blobs/<etag>.incomplete` file: a download that was interrupted or is running. */
export interface PartialDownload {
  etag: string;
  /** Bytes downloaded so far. */
  size: number;
  path: string;
}

/** One `snapshots/<commit>/` folder. */
export interface CachedSnapshot {
  commit: string;
  dir: string;
  /** Revisions whose ref names this commit (`main`, `refs/pr/1`), sorted. */
  refs: string[];
  /** Every file of the snapshot, sorted by path. */
  files: SnapshotEntry[];
  /** Bytes of the distinct blobs and stray files this snapshot uses. */
  size: number;
  /** True when any file is not a healthy link. */
  broken: boolean;
}

/** One `models--org--name/` folder. */
export interface CachedRepo {
  /** `org/name`. */
  repo: string;
  dir: string;
  /** Sorted by commit. */
  snapshots: CachedSnapshot[];
  /** Sorted by etag. */
  blobs: CachedBlob[];
  partials: PartialDownload[];
  /** Revision → commit, as `refs/` records it. */
  refs: Record<string, string>;
  /** Bytes the folder takes: every blob once, partial downloads and stray files. */
  sizeOnDisk: number;
  problems: CacheProblem[];
  broken: boolean;
}

/** Everything found in a hub cache. */
export interface CacheScan {
  hubCache: string;
  /** Model repos sorted by id; dataset and space folders are left out. */
  repos: CachedRepo[];
  /** Sum of the repos' `sizeOnDisk`. */
  sizeOnDisk: number;
}

/** Options of `scanCache`. */
export interface ScanCacheOptions {
  /** Scan only this `org/name`. */
  repo?: string;
}

/** Reads a Hugging Face hub cache, as written by owm, Python's huggingface_hub or transformers.js. */
export async function scanCache(hubCache: string, options: ScanCacheOptions = {}): Promise<CacheScan> {
  try {
    const folders = options.repo
      ? [repoFolderName(options.repo)]
      : (await readDirEntries(hubCache)).map((entry) => entry.name);
    const repos: CachedRepo[] = [];
    for (const folder of folders.sort()) {
      const repo = repoFromFolderName(folder);
      if (!repo || !(await isDirectory(repoDir(hubCache, repo)))) continue;
      repos.push(await scanRepo(hubCache, repo));
    }
    return { hubCache, repos, sizeOnDisk: repos.reduce((sum, r) => sum + r.sizeOnDisk, 0) };
  } catch (error) {
    if (error instanceof OwmError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CacheError(
      `Cannot read the Hugging Face cache at ${hubCache} (${code}); check its permissions or set HF_HUB_CACHE.`,
      { code: 'cache-io', cause: error },
    );
  }
}

async function scanRepo(hubCache: string, repo: string): Promise<CachedRepo> {
  const dir = repoDir(hubCache, repo);
  const problems: CacheProblem[] = [];

  const blobSizes = new Map<string, number>();
  const partials: PartialDownload[] = [];
  for (const entry of await readDirEntries(path.join(dir, 'blobs'))) {
    if (!entry.isFile()) continue;
    const full = path.join(dir, 'blobs', entry.name);
    const { size } = await stat(full);
    if (entry.name.endsWith('.incomplete')) {
      partials.push({ etag: entry.name.slice(0, -'.incomplete'.length), size, path: full });
    } else {
      blobSizes.set(entry.name, size);
    }
  }

  const refs = await readRefs(path.join(dir, 'refs'));
  const snapshots: CachedSnapshot[] = [];
  let straySize = 0;
  for (const entry of (await readDirEntries(path.join(dir, 'snapshots'))).sort(byName)) {
    const full = path.join(dir, 'snapshots', entry.name);
    if (entry.isSymbolicLink()) {
      problems.push({ kind: 'foreign-link', path: full });
      continue;
    }
    if (!entry.isDirectory()) {
      problems.push({ kind: 'not-a-link', path: full });
      straySize += (await stat(full)).size;
      continue;
    }
    const commit = entry.name;
    const files = await listSnapshotEntries(hubCache, repo, commit);
    const used = new Map<string, number>();
    let size = 0;
    for (const file of files) {
      if (file.kind === 'link' && file.etag !== undefined) used.set(file.etag, file.size);
      if (file.kind === 'file') size += file.size;
      if (file.kind !== 'link' && file.kind !== 'missing') {
        problems.push({ kind: file.kind === 'file' ? 'not-a-link' : file.kind, path: path.join(full, file.path) });
      }
    }
    straySize += size;
    for (const blobSize of used.values()) size += blobSize;
    snapshots.push({
      commit,
      dir: full,
      refs: Object.keys(refs).filter((revision) => refs[revision] === commit).sort(),
      files,
      size,
      broken: files.some((f) => f.kind !== 'link'),
    });
  }

  const commits = new Set(snapshots.map((s) => s.commit));
  for (const [revision, commit] of Object.entries(refs)) {
    if (commits.has(commit)) continue;
    problems.push({ kind: 'dangling-ref', path: path.join(dir, 'refs', ...revision.split('/')) });
  }

  const referenced = new Set(snapshots.flatMap((s) => s.files.map((f) => f.etag)));
  const blobs = [...blobSizes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([etag, size]) => ({ etag, size, referenced: referenced.has(etag) }));
  const sizeOnDisk =
    blobs.reduce((sum, b) => sum + b.size, 0) + partials.reduce((sum, p) => sum + p.size, 0) + straySize;
  return { repo, dir, snapshots, blobs, partials, refs, sizeOnDisk, problems, broken: problems.length > 0 };
}

/** Reads `refs/`, where a revision like `refs/pr/1` nests folders. */
async function readRefs(refsDir: string): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of (await readDirEntries(dir)).sort(byName)) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full, `${prefix}${entry.name}/`);
      else if (entry.isFile()) refs[prefix + entry.name] = (await readFile(full, 'utf8')).trim();
    }
  };
  await walk(refsDir, '');
  return refs;
}


async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
