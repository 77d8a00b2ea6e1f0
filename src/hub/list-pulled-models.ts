import { readPullRecords } from './pull-records.js';
import { scanCache, type CachedRepo } from './scan-cache.js';

/** One model variant present in the cache, as `owm list` shows it. */
export interface PulledModel {
  /** Registry short name it was pulled by, when owm pulled it by one. */
  name?: string;
  repo: string;
  /** The variant owm pulled, or undefined for snapshots another tool downloaded. */
  variant?: string;
  commit: string;
  /** Bytes of this variant's files (shared blobs counted once). */
  size: number;
  /** Whether every file of the variant is present and healthy. */
  complete: boolean;
  pulledAt?: string;
  lastUsedAt?: string;
  /** Absolute path of the snapshot folder. */
  dir: string;
}

/**
 * Lists what is in the cache: every variant owm pulled that is still there, and every other
 * snapshot (pulled by Python or transformers.js), so models downloaded by any tool show up.
 */
export async function listPulledModels(hubCache: string, stateDir: string): Promise<PulledModel[]> {
  const [scan, records] = await Promise.all([scanCache(hubCache), readPullRecords(stateDir)]);
  const repos = new Map(scan.repos.map((repo) => [repo.repo, repo]));
  const models: PulledModel[] = [];
  const covered = new Set<string>();
  for (const record of records) {
    const snapshot = repos.get(record.repo)?.snapshots.find((candidate) => candidate.commit === record.commit);
    if (!snapshot) continue;
    covered.add(`${record.repo}@${record.commit}`);
    const entries = new Map(snapshot.files.map((entry) => [entry.path, entry]));
    const present = record.files.map((file) => entries.get(file));
    models.push({
      name: record.name,
      repo: record.repo,
      variant: record.variant,
      commit: record.commit,
      size: distinctBlobBytes(present),
      complete: present.every((entry) => entry?.kind === 'link'),
      pulledAt: record.pulledAt,
      lastUsedAt: record.lastUsedAt,
      dir: snapshot.dir,
    });
  }
  for (const repo of scan.repos) models.push(...foreignSnapshots(repo, covered));
  return models.sort((a, b) => (a.name ?? a.repo).localeCompare(b.name ?? b.repo));
}

function foreignSnapshots(repo: CachedRepo, covered: Set<string>): PulledModel[] {
  return repo.snapshots
    .filter((snapshot) => !covered.has(`${repo.repo}@${snapshot.commit}`))
    .map((snapshot) => ({
      repo: repo.repo,
      commit: snapshot.commit,
      size: snapshot.size,
      // No ref names it: a pull that never finished (refs are written last), whichever tool ran it.
      complete: !snapshot.broken && snapshot.refs.length > 0,
      dir: snapshot.dir,
    }));
}

function distinctBlobBytes(entries: Array<{ etag?: string; size: number } | undefined>): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (const entry of entries) {
    if (!entry) continue;
    if (entry.etag) {
      if (seen.has(entry.etag)) continue;
      seen.add(entry.etag);
    }
    bytes += entry.size;
  }
  return bytes;
}
