import { existsSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import type { HubSettings, OwmPaths } from '../config.js';
import { OwmError } from '../errors.js';
import { blobPath, etagOf, snapshotDir } from '../hub/cache-layout.js';
import { fetchRepoInfo, fetchRepoRevision } from '../hub/fetch-repo-revision.js';
import { readPullRecords, type PullRecord } from '../hub/pull-records.js';
import type { ModelRef } from '../registry/resolve-model.js';
import { variantSelector } from './pull-model.js';
import { resolveInput } from './resolve-input.js';

/** A file of a pulled variant that a newer commit changed (or added). */
export interface ChangedFile {
  path: string;
  size: number;
  /** Whether its new content must be downloaded (false when the cache already holds that blob). */
  download: boolean;
}

/** One pulled variant, checked against its revision on the Hub. */
export interface VariantStatus {
  /** The name to run it by: the registry name it was pulled by, else the repo id. */
  name: string;
  repo: string;
  revision: string;
  variant: string;
  currentCommit: string;
  /** The commit the revision points at now. */
  latestCommit: string;
  /** Files of the variant that differ between the two commits; empty when nothing owm uses changed. */
  changedFiles: ChangedFile[];
  bytesToDownload: number;
  /** The record of the pull, for `owm update`. */
  record: PullRecord;
  /** What to pull the latest commit with. */
  ref: ModelRef;
}

/** True when a variant's files changed on the Hub (a README-only commit is no update). */
export function isOutdated(status: VariantStatus): boolean {
  return status.changedFiles.length > 0;
}

/**
 * Checks pulled models against the Hub: one call per repo and revision for the commit it points
 * at now; where it moved, the new commit's file list, compared file by file (LFS sha256, git oid
 * of the others) with the blobs the pulled variant links to. `models` narrows the check to those
 * names; none checks every pulled model.
 */
export async function checkOutdated(params: { paths: OwmPaths; settings: HubSettings; models?: string[] }): Promise<VariantStatus[]> {
  const { paths, settings } = params;
  if (settings.offline) {
    throw new OwmError('Checking for updates needs the Hub, and owm is offline (HF_HUB_OFFLINE / --offline): run it online.', { code: 'unreachable' });
  }
  const records = await recordsFor(paths, params.models ?? []);
  const latestByRevision = new Map<string, Promise<string>>();
  const statuses: VariantStatus[] = [];
  for (const record of records) {
    const key = `${record.repo}@${record.revision}`;
    if (!latestByRevision.has(key)) latestByRevision.set(key, fetchRepoInfo(settings, record.repo, record.revision).then((info) => info.commit));
    const latestCommit = await (latestByRevision.get(key) as Promise<string>);
    const base = await resolveInput(record.name ?? record.repo, { revision: record.revision }, paths);
    const ref: ModelRef = { ...base, repo: record.repo, revision: record.revision, variant: record.variant };
    const status: VariantStatus = {
      name: record.name ?? record.repo,
      repo: record.repo,
      revision: record.revision,
      variant: record.variant,
      currentCommit: record.commit,
      latestCommit,
      changedFiles: [],
      bytesToDownload: 0,
      record,
      ref,
    };
    if (latestCommit !== record.commit) {
      status.changedFiles = await changedFiles(paths, settings, record, ref, latestCommit);
      status.bytesToDownload = status.changedFiles.filter((file) => file.download).reduce((sum, file) => sum + file.size, 0);
    }
    statuses.push(status);
  }
  return statuses;
}

/** The pull records of the named models (all of them when none is named); a name not pulled is an error. */
async function recordsFor(paths: OwmPaths, names: string[]): Promise<PullRecord[]> {
  const records = await readPullRecords(paths.stateDir);
  if (names.length === 0) return records;
  const chosen: PullRecord[] = [];
  for (const name of names) {
    const ref = await resolveInput(name, {}, paths);
    const matching = records.filter((record) => record.repo === ref.repo && (ref.variant === undefined || record.variant.toLowerCase() === ref.variant.toLowerCase()));
    if (matching.length === 0) throw new OwmError(`Model '${name}' is not pulled: run \`owm pull ${name}\` first.`, { code: 'not-pulled' });
    chosen.push(...matching.filter((record) => !chosen.includes(record)));
  }
  return chosen;
}

async function changedFiles(paths: OwmPaths, settings: HubSettings, record: PullRecord, ref: ModelRef, latestCommit: string): Promise<ChangedFile[]> {
  const latest = await fetchRepoRevision(settings, record.repo, latestCommit);
  const selection = variantSelector(ref, 'cpu')(latest.files);
  const byPath = new Map(latest.files.map((file) => [file.path, file]));
  const current = snapshotDir(paths.hubCache, record.repo, record.commit);
  const changed: ChangedFile[] = [];
  for (const filePath of selection.paths) {
    const file = byPath.get(filePath);
    if (!file) continue;
    const etag = etagOf(file);
    const linked = await readlink(path.join(current, filePath)).catch(() => undefined);
    if (linked !== undefined && path.basename(linked) === etag) continue;
    changed.push({ path: filePath, size: file.size, download: !existsSync(blobPath(paths.hubCache, record.repo, etag)) });
  }
  return changed;
}
