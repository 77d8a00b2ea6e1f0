import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HubSettings } from '../config.js';
import { CacheError } from '../errors.js';
import {
  blobLockPath,
  blobPath,
  etagOf,
  incompleteBlobPath,
  isCommitHash,
  refPath,
  repoDir,
  snapshotDir,
} from './cache-layout.js';
import { ensureFreeSpace } from './disk-space.js';
import { downloadBlob, type BlobOutcome } from './download-blob.js';
import { fetchRepoRevision } from './fetch-repo-revision.js';
import { linkSnapshotFile } from './link-snapshot-file.js';
import { bytesStillNeeded } from './bytes-still-needed.js';
import { writeFileAtomically } from './write-file-atomically.js';
import type { RepoFile, Snapshot } from './types.js';

/** Which files of a revision to pull: the caller (registry) knows variants, the hub layer does not. */
export type FileSelector = (files: RepoFile[]) => { variant: string; paths: string[] };

/** What a pull is about to do, known before any byte is written. */
export interface PullPlan {
  repo: string;
  revision: string;
  commit: string;
  gated: false | 'auto' | 'manual';
  license?: string;
  variant: string;
  files: RepoFile[];
  /** Sum of the selected files' sizes. */
  totalBytes: number;
  /** Bytes not yet in the cache (partial downloads count for what they hold). */
  bytesToDownload: number;
}

/** Progress of a pull, as plain data for whatever renders it. */
export type PullEvent =
  | { type: 'plan'; plan: PullPlan }
  | { type: 'file-progress'; path: string; bytesDone: number; size: number }
  | { type: 'file-done'; path: string; outcome: BlobOutcome }
  | { type: 'retry'; path?: string; attempt: number; reason: string }
  | { type: 'waiting-for-lock'; path: string };

/** One `owm pull`: a revision of a repo, narrowed to one variant's files. */
export interface PullRequest {
  settings: HubSettings;
  hubCache: string;
  repo: string;
  revision: string;
  selectFiles: FileSelector;
  /** Runs after planning, before downloading: the place to ask for a license or refuse. */
  beforeDownload?: (plan: PullPlan) => Promise<void>;
  onEvent?: (event: PullEvent) => void;
  signal?: AbortSignal;
  /** Files downloaded at once (default 8, like `hf download`). */
  concurrency?: number;
  stallTimeoutMs?: number;
}

const DEFAULT_CONCURRENCY = 8;

/**
 * Pulls the selected files of one revision into the Hugging Face cache: resolves the revision to
 * a commit, checks disk space, downloads missing blobs in parallel (each verified and resumable),
 * links them into `snapshots/<commit>/`, and only then points `refs/<revision>` at the commit.
 */
export async function pullSnapshot(request: PullRequest): Promise<Snapshot> {
  const { settings, hubCache, repo, revision } = request;
  const emit = request.onEvent ?? (() => {});
  const info = await fetchRepoRevision(settings, repo, revision, {
    signal: request.signal,
    onRetry: ({ attempt, reason }) => emit({ type: 'retry', attempt, reason }),
  });
  const selection = request.selectFiles(info.files);
  const byPath = new Map(info.files.map((file) => [file.path, file]));
  const files = selection.paths.map((filePath) => byPath.get(filePath)).filter((file): file is RepoFile => !!file);

  const plan: PullPlan = {
    repo,
    revision,
    commit: info.commit,
    gated: info.gated,
    license: info.license,
    variant: selection.variant,
    files,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
    bytesToDownload: await bytesStillNeeded(hubCache, repo, files),
  };
  // A complete model needs no writes at all: a read-only cache still serves it.
  if (plan.bytesToDownload > 0) await ensureWritable(repoDir(hubCache, repo));
  emit({ type: 'plan', plan });
  await request.beforeDownload?.(plan);
  await ensureFreeSpace(repoDir(hubCache, repo), plan.bytesToDownload);

  const dir = snapshotDir(hubCache, repo, info.commit);
  const abort = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, abort.signal]) : abort.signal;
  const hasToken = settings.token !== undefined;
  // Files with identical content share one blob: fetch it once, link every path to it.
  const pathsByEtag = new Map<string, string[]>();
  for (const file of files) pathsByEtag.set(etagOf(file), [...(pathsByEtag.get(etagOf(file)) ?? []), file.path]);
  const largestFirst = [...new Map(files.map((file) => [etagOf(file), file])).values()].sort((a, b) => b.size - a.size);

  const pullOne = async (file: RepoFile): Promise<void> => {
    const etag = etagOf(file);
    const outcome = await downloadBlob({
      url: `${settings.endpoint}/${repo}/resolve/${info.commit}/${file.path.split('/').map(encodeURIComponent).join('/')}`,
      file,
      blobPath: blobPath(hubCache, repo, etag),
      incompletePath: incompleteBlobPath(hubCache, repo, etag),
      lockPath: blobLockPath(hubCache, repo, etag),
      context: { endpoint: settings.endpoint, repo, revision: info.commit, path: file.path, hasToken },
      token: settings.token,
      signal,
      stallTimeoutMs: request.stallTimeoutMs,
      onProgress: (bytesDone) => emit({ type: 'file-progress', path: file.path, bytesDone, size: file.size }),
      onRetry: ({ attempt, reason }) => emit({ type: 'retry', path: file.path, attempt, reason }),
      onWaitForLock: () => emit({ type: 'waiting-for-lock', path: file.path }),
    });
    for (const filePath of pathsByEtag.get(etag) ?? []) await linkSnapshotFile(dir, filePath, etag);
    emit({ type: 'file-done', path: file.path, outcome });
  };

  await runPool(largestFirst, request.concurrency ?? DEFAULT_CONCURRENCY, pullOne, abort);
  await ensureStillLinked(dir, repo, files);
  if (!isCommitHash(revision)) await writeRef(hubCache, repo, revision, info.commit);
  return { repo, commit: info.commit, dir, variant: selection.variant, files: files.map((file) => file.path) };
}

/** Runs `work` over `items` with at most `limit` at once; the first failure aborts the rest. */
async function runPool<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
  abort: AbortController,
): Promise<void> {
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && firstError === undefined) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        if (firstError === undefined) firstError = error;
        abort.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError !== undefined) throw firstError;
}

/**
 * Fails when a file of the snapshot vanished during the pull (an `owm rm` of the same model ran
 * meanwhile): the ref is not written, so the half-removed snapshot is never taken for a model.
 */
async function ensureStillLinked(dir: string, repo: string, files: RepoFile[]): Promise<void> {
  for (const file of files) {
    const target = await stat(path.join(dir, ...file.path.split('/'))).catch(() => undefined);
    if (!target?.isFile()) {
      throw new CacheError(`${repo} was removed from the cache while it was being pulled (${file.path} is gone): run the pull again.`, { code: 'corrupt-cache' });
    }
  }
}

async function writeRef(hubCache: string, repo: string, revision: string, commit: string): Promise<void> {
  const file = refPath(hubCache, repo, revision);
  // Already right: nothing to write.
  if ((await readFile(file, 'utf8').catch(() => undefined)) === commit) return;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomically(file, commit);
}

async function ensureWritable(folder: string): Promise<void> {
  try {
    await mkdir(path.join(folder, 'blobs'), { recursive: true });
  } catch (error) {
    // A recursive mkdir on a read-only filesystem reports ENOENT: ask the nearest existing folder.
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? await writeAccessProblem(folder) : (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new CacheError(
        `Cannot write to the cache folder ${folder} (${code}): fix its permissions, or set HF_HUB_CACHE to a folder you own.`,
        { code: 'cache-permission', cause: error },
      );
    }
    throw error;
  }
}

async function writeAccessProblem(folder: string): Promise<string | undefined> {
  for (let current = path.dirname(folder); ; current = path.dirname(current)) {
    try {
      await access(current, constants.W_OK);
      return undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || current === path.dirname(current)) return code;
    }
  }
}
