import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CacheError, OwmError } from '../errors.js';
import { isCommitHash, refPath, snapshotDir } from './cache-layout.js';
import type { FileSelector } from './pull-snapshot.js';
import type { RepoFile, Snapshot } from './types.js';

/** The commit a revision points to in the cache, or undefined when it was never pulled. */
export async function cachedCommit(hubCache: string, repo: string, revision: string): Promise<string | undefined> {
  if (isCommitHash(revision)) return revision;
  try {
    return (await readFile(refPath(hubCache, repo, revision), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Files present in a snapshot folder (links whose blob is missing are left out). */
export async function listSnapshotFiles(dir: string): Promise<RepoFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: RepoFile[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const info = await stat(full).catch(() => undefined);
    if (!info?.isFile()) continue;
    files.push({ path: path.relative(dir, full).split(path.sep).join('/'), size: info.size, oid: '' });
  }
  return files;
}

/**
 * Finds a revision's selected files in the cache without touching the network (offline mode):
 * the same selection rules as an online pull, applied to the files the snapshot holds.
 */
export async function findCachedSnapshot(
  hubCache: string,
  repo: string,
  revision: string,
  selectFiles: FileSelector,
  /** The variant the user named, if any: one the cache lacks entirely is "not pulled", not "unknown". */
  requestedVariant?: string,
): Promise<Snapshot> {
  const commit = await cachedCommit(hubCache, repo, revision);
  const dir = commit ? snapshotDir(hubCache, repo, commit) : undefined;
  const present = dir ? await listSnapshotFiles(dir).catch(() => undefined) : undefined;
  if (!commit || !dir || !present || present.length === 0) {
    throw new CacheError(
      `${repo}@${revision} is not in the cache and owm is offline: run \`owm pull ${repo}\` while online (without HF_HUB_OFFLINE / --offline).`,
      { code: 'not-cached' },
    );
  }
  let selection: ReturnType<FileSelector>;
  try {
    selection = selectFiles(present);
  } catch (error) {
    if (requestedVariant === undefined || !(error instanceof OwmError) || error.code !== 'unknown-variant') throw error;
    throw new CacheError(
      `Variant ${requestedVariant} of ${repo} is not pulled and owm is offline: run \`owm pull ${repo} --variant ${requestedVariant}\` while online.`,
      { code: 'not-cached', cause: error },
    );
  }
  const have = new Set(present.map((file) => file.path));
  const missing = selection.paths.filter((filePath) => !have.has(filePath));
  if (missing.length > 0) {
    throw new CacheError(
      `Variant ${selection.variant} of ${repo} is not pulled (${missing.length} of its files are missing, ${missing[0]} first) and owm is offline: run \`owm pull ${repo} --variant ${selection.variant}\` while online.`,
      { code: 'not-cached' },
    );
  }
  return { repo, commit, dir, variant: selection.variant, files: selection.paths };
}
