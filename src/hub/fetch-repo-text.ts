import type { HubSettings } from '../config.js';
import { createHubFetch } from './hub-fetch.js';

/** Reads a small text file (config.json, ...) of one commit straight from the Hub, without caching it. */
export async function fetchRepoText(settings: HubSettings, repo: string, commit: string, filePath: string): Promise<string> {
  const context = { endpoint: settings.endpoint, repo, revision: commit, path: filePath, hasToken: settings.token !== undefined };
  const response = await createHubFetch(context)(`${settings.endpoint}/${repo}/resolve/${commit}/${filePath}`, {
    headers: settings.token ? { Authorization: `Bearer ${settings.token}` } : {},
  });
  return response.text();
}
