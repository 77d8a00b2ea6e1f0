import type { HubSettings } from '../config.js';
import { HubError } from '../errors.js';
import { createHubFetch, type RetryListener } from './hub-fetch.js';
import type { RepoFile } from './types.js';

/** One revision of a repo as the Hub describes it: its commit, access rules and file tree. */
export interface RepoRevision {
  repo: string;
  /** The 40-hex commit the revision resolved to. */
  commit: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  /** License id from the model card (`apache-2.0`, `llama3.2`, ...), when it declares one. */
  license?: string;
  /** Every file of the commit (directories left out). */
  files: RepoFile[];
}

/** Checks the token's shape before anything is sent, as the Hub's own clients do. */
export function checkTokenShape(token: string | undefined): void {
  if (token !== undefined && !token.startsWith('hf_')) {
    throw new HubError(
      'The Hugging Face token does not look valid (tokens start with "hf_"): check HF_TOKEN or --token.',
      { code: 'bad-token' },
    );
  }
}

/** What one Hub call says about a revision: its commit and access rules, without the files. */
export type RepoRevisionInfo = Omit<RepoRevision, 'files'>;

function hubClientOptions(settings: HubSettings, repo: string, revision: string, options: { signal?: AbortSignal; onRetry?: RetryListener }) {
  checkTokenShape(settings.token);
  const context = { endpoint: settings.endpoint, repo, revision, hasToken: settings.token !== undefined };
  return { hubUrl: settings.endpoint, accessToken: settings.token, fetch: createHubFetch(context, options) };
}

/** Resolves `revision` of `repo` to its commit, gating and license in one call (`/api/models/{repo}/revision/{revision}`). */
export async function fetchRepoInfo(
  settings: HubSettings,
  repo: string,
  revision: string,
  options: { signal?: AbortSignal; onRetry?: RetryListener } = {},
): Promise<RepoRevisionInfo> {
  // Imported here, not at the top: commands that find their model in the cache never load it.
  const { modelInfo } = await import('@huggingface/hub');
  const info = await modelInfo({ ...hubClientOptions(settings, repo, revision, options), name: repo, revision, additionalFields: ['sha', 'cardData'] });
  const commit = info.sha;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) {
    throw new HubError(`The Hub gave no commit for ${repo}@${revision}: check HF_ENDPOINT points at a Hugging Face Hub.`);
  }
  const cardData = info.cardData as { license?: unknown } | undefined;
  return {
    repo,
    commit,
    gated: info.gated,
    private: info.private,
    license: typeof cardData?.license === 'string' ? cardData.license : undefined,
  };
}

/**
 * Resolves `revision` of `repo` to a commit and lists that commit's files, so that everything
 * downloaded afterwards comes from one consistent snapshot even if the branch moves meanwhile.
 */
export async function fetchRepoRevision(
  settings: HubSettings,
  repo: string,
  revision: string,
  options: { signal?: AbortSignal; onRetry?: RetryListener } = {},
): Promise<RepoRevision> {
  const info = await fetchRepoInfo(settings, repo, revision, options);
  const { listFiles } = await import('@huggingface/hub');
  const files: RepoFile[] = [];
  const listing = listFiles({ ...hubClientOptions(settings, repo, info.commit, options), repo: { type: 'model', name: repo }, revision: info.commit, recursive: true });
  for await (const entry of listing) {
    if (entry.type !== 'file') continue;
    files.push({
      path: entry.path,
      size: entry.size,
      oid: entry.oid ?? '',
      ...(entry.lfs ? { lfs: { oid: entry.lfs.oid, size: entry.lfs.size } } : {}),
    });
  }
  return { ...info, files };
}
