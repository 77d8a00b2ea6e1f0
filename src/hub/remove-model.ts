import { lstat, readFile, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CacheError, OwmError } from '../errors.js';
import { blobLockPath, repoDir, snapshotDir } from './cache-layout.js';
import { tryLockFile, type FileLock } from './file-lock.js';
import { inspectSnapshotEntry, isSafeRepoPath, listSnapshotEntries } from './snapshot-entry.js';
import { readDirEntries } from './read-dir-entries.js';

/** What to remove from the cache. */
export interface RemoveModelParams {
  hubCache: string;
  /** `org/name`. */
  repo: string;
  /** Only this snapshot; every snapshot of the repo when omitted. */
  commit?: string;
  /**
   * Only these repo paths (one variant's files) of the snapshot(s); the whole snapshot when
   * omitted. The caller leaves out files another pulled variant still needs.
   */
  files?: string[];
}

/** What `removeModel` took off the disk. */
export interface RemovedModel {
  /** Bytes of the blobs, partial downloads and stray files deleted. */
  bytesFreed: number;
  /** Snapshot files (links or stray files) deleted. */
  filesRemoved: number;
  /** Names of the blobs (and `.incomplete` partials) deleted. */
  blobsRemoved: string[];
  /** Commits whose snapshot folder is gone. */
  snapshotsRemoved: string[];
  /** Revisions whose ref pointed at a removed snapshot. */
  refsRemoved: string[];
  /** True when the whole `models--org--name` folder is gone. */
  repoRemoved: boolean;
  /** Unlinked blobs kept because a download holds their lock; a later `rm` removes them. */
  busyBlobs: string[];
}

/**
 * Removes a repo, one snapshot or some files of a snapshot, then deletes the blobs no remaining
 * snapshot links to, the refs to removed snapshots and the folders left empty. Only paths inside
 * the repo folder are deleted, and symlinks are unlinked, never followed.
 */
export async function removeModel(params: RemoveModelParams): Promise<RemovedModel> {
  const { hubCache, repo } = params;
  try {
    return await removeFromRepo(params);
  } catch (error) {
    if (error instanceof OwmError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CacheError(
      `Cannot remove ${repo} from the cache at ${hubCache} (${code}); check the folder's permissions.`,
      { code: 'cache-io', cause: error },
    );
  }
}

async function removeFromRepo({ hubCache, repo, commit, files }: RemoveModelParams): Promise<RemovedModel> {
  const dir = repoDir(hubCache, repo);
  const snapshotsDir = path.join(dir, 'snapshots');
  if (!(await lstatOrUndefined(dir))) throw notCached(`${repo} is not in the cache at ${hubCache}`);
  if (commit !== undefined && (!isSafeRepoPath(commit) || commit.includes('/'))) {
    throw new CacheError(`'${commit}' is not a commit; pass the 40-character commit shown by \`owm show\`.`, {
      code: 'unsafe-path',
    });
  }
  const commits = commit === undefined ? (await readDirEntries(snapshotsDir)).map((e) => e.name) : [commit];
  if (commit !== undefined && !(await lstatOrUndefined(snapshotDir(hubCache, repo, commit)))) {
    throw notCached(`Snapshot ${commit} of ${repo} is not in the cache at ${hubCache}`);
  }

  const removed: RemovedModel = {
    bytesFreed: 0,
    filesRemoved: 0,
    blobsRemoved: [],
    snapshotsRemoved: [],
    refsRemoved: [],
    repoRemoved: false,
    busyBlobs: [],
  };

  for (const c of commits) {
    const snapDir = snapshotDir(hubCache, repo, c);
    if (files === undefined) {
      const info = await lstat(snapDir);
      if (info.isDirectory()) {
        for (const entry of await listSnapshotEntries(hubCache, repo, c)) {
          removed.filesRemoved += 1;
          if (entry.kind === 'file') removed.bytesFreed += entry.size;
        }
      } else {
        removed.filesRemoved += 1;
        if (info.isFile()) removed.bytesFreed += info.size;
      }
      // rm unlinks symlinks it meets; it never descends through them.
      await rm(snapDir, { recursive: true, force: true });
    } else {
      for (const file of files) {
        const entry = await inspectSnapshotEntry(hubCache, repo, c, file);
        if (entry.kind === 'missing') continue;
        const full = path.join(snapDir, ...file.split('/'));
        await unlink(full);
        removed.filesRemoved += 1;
        if (entry.kind === 'file') removed.bytesFreed += entry.size;
        await removeEmptyFolders(path.dirname(full), snapDir);
      }
      if (!(await removeIfEmpty(snapDir))) continue;
    }
    removed.snapshotsRemoved.push(c);
    await rm(path.join(dir, '.no_exist', c), { recursive: true, force: true });
  }

  const remaining = await readDirEntries(snapshotsDir);
  const referenced = new Set<string>();
  for (const entry of remaining.filter((e) => e.isDirectory())) {
    for (const file of await listSnapshotEntries(hubCache, repo, entry.name)) {
      if (file.etag !== undefined) referenced.add(file.etag);
    }
  }
  await collectBlobs(hubCache, repo, referenced, remaining.length === 0, removed);
  await removeRefs(path.join(dir, 'refs'), '', new Set(removed.snapshotsRemoved), removed);

  const blobsLeft = await readDirEntries(path.join(dir, 'blobs'));
  if (remaining.length === 0 && blobsLeft.length === 0) {
    await rm(dir, { recursive: true, force: true });
    removed.repoRemoved = true;
  }
  return removed;
}

/**
 * Deletes the blobs no snapshot links to, and the partial downloads when the repo goes away.
 * A blob whose lock a running download (owm's or Python's) holds is left alone.
 */
async function collectBlobs(
  hubCache: string,
  repo: string,
  referenced: Set<string>,
  repoGoing: boolean,
  removed: RemovedModel,
): Promise<void> {
  const blobsDir = path.join(repoDir(hubCache, repo), 'blobs');
  for (const entry of await readDirEntries(blobsDir)) {
    const partial = entry.name.endsWith('.incomplete');
    const etag = partial ? entry.name.slice(0, -'.incomplete'.length) : entry.name;
    if (partial ? !repoGoing : referenced.has(etag)) continue;
    const lock = await lockIfPresent(blobLockPath(hubCache, repo, etag));
    if (!lock) {
      removed.busyBlobs.push(entry.name);
      continue;
    }
    try {
      const full = path.join(blobsDir, entry.name);
      const info = await lstatOrUndefined(full);
      if (!info || info.isDirectory()) continue;
      await unlink(full);
      removed.bytesFreed += info.size;
      removed.blobsRemoved.push(entry.name);
    } finally {
      lock.release();
    }
  }
}

/** Takes a blob's lock when its lock file exists; creates none, to leave no litter in `.locks/`. */
async function lockIfPresent(lockPath: string): Promise<FileLock | undefined> {
  if (!(await lstatOrUndefined(lockPath))) return { path: lockPath, release() {} };
  return tryLockFile(lockPath);
}

/** Deletes the refs naming a removed commit, and ref folders (`refs/pr/`) left empty. */
async function removeRefs(dir: string, prefix: string, commits: Set<string>, removed: RemovedModel): Promise<void> {
  for (const entry of await readDirEntries(dir)) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await removeRefs(full, `${prefix}${entry.name}/`, commits, removed);
      await removeIfEmpty(full);
    } else if (entry.isFile() && commits.has((await readFile(full, 'utf8')).trim())) {
      await unlink(full);
      removed.refsRemoved.push(prefix + entry.name);
    }
  }
}

/** Removes `from` and its parents while they are empty, stopping below `stopAt`. */
async function removeEmptyFolders(from: string, stopAt: string): Promise<void> {
  for (let dir = from; dir !== stopAt && dir.startsWith(stopAt + path.sep); dir = path.dirname(dir)) {
    if (!(await removeIfEmpty(dir))) return;
  }
}

async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'ENOENT') return false;
    throw error;
  }
}


async function lstatOrUndefined(file: string) {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function notCached(what: string): CacheError {
  return new CacheError(`${what}; run \`owm list\` to see what is.`, { code: 'not-cached' });
}
