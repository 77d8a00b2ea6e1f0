import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { OwmError } from '../../errors.js';
import { fetchRepoRevision } from '../../hub/fetch-repo-revision.js';
import { readPullRecords, type PullRecord } from '../../hub/pull-records.js';
import { scanCache } from '../../hub/scan-cache.js';
import type { RepoFile } from '../../hub/types.js';
import { verifySnapshot, type SnapshotVerification } from '../../hub/verify-snapshot.js';
import { addHubOptions, hubSettingsFrom, type HubFlags } from '../hub-flags.js';
import { resolveInput } from '../../models/resolve-input.js';

/** Options of `owm verify`. */
export interface VerifyOptions extends HubFlags {
  model?: string;
  json?: boolean;
}

/** Registers `owm verify`. */
export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('re-hash cached files against the Hub\'s hashes and report corruption')
    .argument('[model]', 'registry name or org/name (default: every cached model)')
    .option('--json', 'print JSON');
  addHubOptions(command).action(async (model: string | undefined, flags: Omit<VerifyOptions, 'model'>) => {
    const results = await runVerify({ model, ...flags });
    if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else for (const result of results) process.stdout.write(formatVerification(result));
    const bad = results.filter((result) => !result.ok);
    const unfinished = bad.find((result) => result.unfinished);
    if (unfinished) {
      throw new OwmError(`${unfinished.repo}@${unfinished.commit.slice(0, 8)} is a pull that never finished: run \`owm pull ${unfinished.repo}\` to complete it, or \`owm rm ${unfinished.repo}\`.`, {
        code: 'corrupt-cache',
      });
    }
    if (bad.length > 0) {
      const files = bad.flatMap((result) => result.files.filter((file) => file.status !== 'ok'));
      throw new OwmError(
        `${files.length} cached file(s) are corrupt (${files.map((file) => `${file.path}: ${file.status}`).slice(0, 3).join(', ')}): run \`owm rm ${bad[0].repo}\` and pull it again.`,
        { code: 'corrupt-cache' },
      );
    }
  });
}

/**
 * Re-hashes every cached snapshot of a model (or of every model): against the Hub's listing of
 * the same commit when online, else against the hashes the blob names state.
 */
export async function runVerify(options: VerifyOptions): Promise<SnapshotVerification[]> {
  const paths = resolvePaths();
  const settings = hubSettingsFrom(options);
  const repo = options.model ? (await resolveInput(options.model, {}, paths)).repo : undefined;
  const scan = await scanCache(paths.hubCache, repo ? { repo } : {});
  if (repo && scan.repos.length === 0) {
    throw new OwmError(`${repo} is not in the cache: nothing to verify (see \`owm list\`).`, { code: 'not-cached' });
  }
  const records = await readPullRecords(paths.stateDir);
  const results: SnapshotVerification[] = [];
  for (const cached of scan.repos) {
    for (const snapshot of cached.snapshots) {
      const listing = settings.offline ? undefined : await hubListing(cached.repo, snapshot.commit, records);
      const result = await verifySnapshot({ hubCache: paths.hubCache, repo: cached.repo, commit: snapshot.commit, files: listing });
      results.push(withPullChecks(result, snapshot.refs, records));
    }
  }
  return results;

  async function hubListing(repoId: string, commit: string, pulls: PullRecord[]): Promise<RepoFile[] | undefined> {
    const wanted = new Set(pulls.filter((pull) => pull.repo === repoId && pull.commit === commit).flatMap((pull) => pull.files));
    try {
      const revision = await fetchRepoRevision(settings, repoId, commit);
      return wanted.size > 0 ? revision.files.filter((file) => wanted.has(file.path)) : undefined;
    } catch (error) {
      // The blobs' own names still say what their bytes must hash to: verify against those.
      if (error instanceof OwmError) return undefined;
      throw error;
    }
  }
}

/**
 * What a pull promised, checked too: every file of the variants pulled from this commit must be
 * there (offline, nothing else lists them), and a snapshot that no ref names and no pull record
 * covers is a pull that never finished (refs and records are written last).
 */
function withPullChecks(result: SnapshotVerification, refs: string[], records: PullRecord[]): SnapshotVerification {
  const pulled = records.filter((record) => record.repo === result.repo && record.commit === result.commit);
  const present = new Set(result.files.map((file) => file.path));
  const missing = [...new Set(pulled.flatMap((record) => record.files))].filter((file) => !present.has(file));
  const unfinished = pulled.length === 0 && refs.length === 0;
  if (missing.length === 0 && !unfinished) return result;
  return {
    ...result,
    ok: false,
    unfinished,
    files: [...result.files, ...missing.map((file) => ({ path: file, status: 'missing' as const }))],
  };
}

function formatVerification(result: SnapshotVerification): string {
  const state = result.ok ? 'ok     ' : result.unfinished ? 'INCOMPLETE' : 'CORRUPT';
  const lines = [`${state} ${result.repo}@${result.commit.slice(0, 8)} (${result.files.length} files${result.unfinished ? ', a pull that never finished' : ''})`];
  for (const file of result.files) {
    if (file.status !== 'ok') lines.push(`  ${file.status.padEnd(14)} ${file.path}`);
  }
  return `${lines.join('\n')}\n`;
}
