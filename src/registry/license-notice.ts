import type { ModelEntry } from './model-entry-schema.js';

/** Licenses whose terms restrict use enough that owm asks before the first pull. */
const RESTRICTIVE_LICENSE_IDS = new Set([
  'llama2',
  'llama3',
  'llama3.1',
  'llama3.2',
  'llama3.3',
  'llama4',
  'gemma',
  'health-ai-developer-foundations',
  'other',
]);

/** A license the user must accept before owm downloads the model. */
export interface LicenseNotice {
  id: string;
  name: string;
  url: string;
}

/**
 * Decides whether pulling a model needs the user's acceptance, and of what: the registry entry's
 * license when it is restrictive, any known restrictive license id the Hub reports, and any
 * gated repo (whose terms live on its model page).
 */
export function licenseNotice(params: {
  repo: string;
  endpoint: string;
  entry?: ModelEntry;
  hubLicense?: string;
  gated: boolean;
}): LicenseNotice | undefined {
  const { entry, hubLicense, repo, endpoint } = params;
  const modelPage = `${endpoint}/${repo}`;
  if (entry?.license) {
    const { id, name, url, restrictive } = entry.license;
    if (restrictive || params.gated) return { id, name, url };
    return undefined;
  }
  if (hubLicense && RESTRICTIVE_LICENSE_IDS.has(hubLicense)) {
    return { id: hubLicense, name: `the ${hubLicense} license`, url: modelPage };
  }
  if (params.gated) {
    return { id: hubLicense ?? 'gated', name: `the terms of ${repo}`, url: modelPage };
  }
  return undefined;
}
