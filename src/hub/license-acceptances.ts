import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './write-file-atomically.js';

/** One remembered "yes" to a model's license. */
export interface LicenseAcceptance {
  repo: string;
  license: string;
  acceptedAt: string;
}

function acceptancesFile(stateDir: string): string {
  return path.join(stateDir, 'licenses.json');
}

async function readAcceptances(stateDir: string): Promise<LicenseAcceptance[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(acceptancesFile(stateDir), 'utf8'));
    return Array.isArray(parsed) ? (parsed as LicenseAcceptance[]) : [];
  } catch {
    // A missing or unreadable file only means owm asks again.
    return [];
  }
}

/** True when the user already accepted `license` for `repo`. */
export async function hasAcceptedLicense(stateDir: string, repo: string, license: string): Promise<boolean> {
  return (await readAcceptances(stateDir)).some((entry) => entry.repo === repo && entry.license === license);
}

/** Remembers that the user accepted `license` for `repo`. */
export async function rememberLicenseAcceptance(stateDir: string, repo: string, license: string): Promise<void> {
  const entries = (await readAcceptances(stateDir)).filter((entry) => entry.repo !== repo);
  entries.push({ repo, license, acceptedAt: new Date().toISOString() });
  await mkdir(stateDir, { recursive: true });
  await writeFileAtomically(acceptancesFile(stateDir), `${JSON.stringify(entries, null, 2)}\n`);
}
