import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { CacheError, OwmError } from '../errors.js';
import { etagOf, snapshotDir } from './cache-layout.js';
import { createContentHasher, hashFileInto, type ContentHasher } from './content-hash.js';
import { listSnapshotEntries, type SnapshotEntry } from './snapshot-entry.js';
import type { RepoFile } from './types.js';

/**
 * The verdict on one file: `ok`; `missing` (listed by the hub, absent here); `size-mismatch` or
 * `hash-mismatch` (content differs from the listing or from the blob's name); `dangling-link`
 * (its blob is gone); `foreign-link` (it links out of the repo's blobs, so it was not read);
 * `not-a-link` (a regular file where a symlink belongs, with content that checks out or could
 * not be checked).
 */
export type FileCheckStatus =
  | 'ok'
  | 'missing'
  | 'size-mismatch'
  | 'hash-mismatch'
  | 'dangling-link'
  | 'foreign-link'
  | 'not-a-link';

/** The result for one file of the snapshot. */
export interface FileCheck {
  /** Repo path. */
  path: string;
  status: FileCheckStatus;
  /** The blob the snapshot links to. */
  etag?: string;
  /** From the hub listing, when given. */
  expectedSize?: number;
  actualSize?: number;
  /** The listing's etag when given, else the blob's name. */
  expectedHash?: string;
  /** The hash of the content on disk, or the linked blob's name when the listing names another. */
  actualHash?: string;
}

/** Progress across the whole verification: `file` is being hashed, bytes count every blob once. */
export interface VerifyProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

/** What to verify. */
export interface VerifySnapshotParams {
  hubCache: string;
  /** `org/name`. */
  repo: string;
  /** The snapshot's commit. */
  commit: string;
  /**
   * The hub's listing of the files this snapshot should hold (one variant's, when only one was
   * pulled). Without it, each blob is checked against the hash its name states.
   */
  files?: RepoFile[];
  onProgress?: (progress: VerifyProgress) => void;
}

/** The verdict on a snapshot. */
export interface SnapshotVerification {
  repo: string;
  commit: string;
  /** True when every file is `ok`. */
  ok: boolean;
  /** Every file on disk and every listed file, sorted by path. */
  files: FileCheck[];
  /** Set by `owm verify` for a snapshot that no ref names and no pull record covers: a pull that never finished. */
  unfinished?: boolean;
}

const SHA256_NAME = /^[0-9a-f]{64}$/;
const GIT_SHA1_NAME = /^[0-9a-f]{40}$/;

/** Re-hashes a snapshot's files and compares them to their blob names and to the hub's listing. */
export async function verifySnapshot(params: VerifySnapshotParams): Promise<SnapshotVerification> {
  const { hubCache, repo, commit } = params;
  try {
    return await verify(params);
  } catch (error) {
    if (error instanceof OwmError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CacheError(
      `Cannot read snapshot ${commit} of ${repo} in ${hubCache} (${code}); check the folder's permissions.`,
      { code: 'cache-io', cause: error },
    );
  }
}

interface PlannedHash {
  /** The file to read: a blob, or a stray file in the snapshot. */
  source: string;
  size: number;
  /** Which kind of hash to compute and what it must equal. */
  hasher: () => ContentHasher;
  expected: string;
}

async function verify(params: VerifySnapshotParams): Promise<SnapshotVerification> {
  const { hubCache, repo, commit, files: listing, onProgress } = params;
  const dir = snapshotDir(hubCache, repo, commit);
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new CacheError(
      `Snapshot ${commit} of ${repo} is not in the cache at ${hubCache}; run \`owm pull\` to fetch it.`,
      { code: 'not-cached' },
    );
  }

  const entries = new Map((await listSnapshotEntries(hubCache, repo, commit)).map((e) => [e.path, e]));
  const listed = new Map((listing ?? []).map((f) => [f.path, f]));
  for (const file of listed.values()) {
    if (!entries.has(file.path)) entries.set(file.path, { path: file.path, kind: 'missing', size: 0 });
  }

  const checks: FileCheck[] = [];
  // Hashing is planned per source so that a blob two paths share is read once.
  const plans = new Map<string, PlannedHash>();
  const pending: { check: FileCheck; plan: PlannedHash }[] = [];
  for (const entry of [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const check = judgeWithoutHashing(entry, listed.get(entry.path));
    checks.push(check);
    if (check.status !== 'ok' && check.status !== 'not-a-link') continue;
    const planned = planHash(entry, listed.get(entry.path), dir);
    if (!planned) continue;
    const key = `${planned.source}\0${planned.expected}`;
    const plan = plans.get(key) ?? planned;
    plans.set(key, plan);
    pending.push({ check, plan });
  }

  const bytesTotal = [...plans.values()].reduce((sum, p) => sum + p.size, 0);
  let bytesDone = 0;
  const digests = new Map<PlannedHash, string>();
  for (const { check, plan } of pending) {
    let digest = digests.get(plan);
    if (digest === undefined) {
      const inner = plan.hasher();
      const counting: ContentHasher = {
        update(chunk) {
          inner.update(chunk);
          bytesDone += chunk.length;
          onProgress?.({ file: check.path, bytesDone, bytesTotal });
        },
        digest: () => inner.digest(),
      };
      onProgress?.({ file: check.path, bytesDone, bytesTotal });
      await hashFileInto(counting, plan.source);
      digest = counting.digest();
      digests.set(plan, digest);
    }
    check.expectedHash = plan.expected;
    check.actualHash = digest;
    if (digest !== plan.expected) check.status = 'hash-mismatch';
  }

  return { repo, commit, ok: checks.every((c) => c.status === 'ok'), files: checks };
}

/** Everything that can be judged from names and sizes alone. */
function judgeWithoutHashing(entry: SnapshotEntry, listed: RepoFile | undefined): FileCheck {
  const check: FileCheck = { path: entry.path, status: 'ok' };
  if (entry.etag !== undefined) check.etag = entry.etag;
  if (listed) check.expectedSize = listed.size;
  switch (entry.kind) {
    case 'missing':
    case 'dangling-link':
    case 'foreign-link':
      check.status = entry.kind;
      return check;
    case 'file':
    case 'link':
      check.actualSize = entry.size;
      if (listed && listed.size !== entry.size) {
        check.status = 'size-mismatch';
        return check;
      }
      if (entry.kind === 'file') {
        check.status = 'not-a-link';
        return check;
      }
      if (listed && etagOf(listed) !== entry.etag) {
        check.status = 'hash-mismatch';
        check.expectedHash = etagOf(listed);
        check.actualHash = entry.etag;
      }
      return check;
  }
}

/** How to check a file's content: against the listing when given, else against its blob's name. */
function planHash(entry: SnapshotEntry, listed: RepoFile | undefined, dir: string): PlannedHash | undefined {
  const source = entry.kind === 'file' ? path.join(dir, ...entry.path.split('/')) : entry.blobPath;
  if (source === undefined) return undefined;
  const size = entry.size;
  if (listed) {
    return { source, size, hasher: () => createContentHasher(listed), expected: etagOf(listed) };
  }
  const name = entry.etag;
  if (name === undefined) return undefined;
  if (SHA256_NAME.test(name)) {
    return { source, size, hasher: () => createContentHasher({ size, lfs: { oid: name, size } }), expected: name };
  }
  if (GIT_SHA1_NAME.test(name)) {
    return { source, size, hasher: () => createContentHasher({ size }), expected: name };
  }
  return undefined;
}
