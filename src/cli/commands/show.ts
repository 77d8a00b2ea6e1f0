import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { OwmError } from '../../errors.js';
import { formatBytes } from '../../format-bytes.js';
import { fetchRepoRevision } from '../../hub/fetch-repo-revision.js';
import { fetchRepoText } from '../../hub/fetch-repo-text.js';
import { cachedCommit, listSnapshotFiles } from '../../hub/find-cached-snapshot.js';
import { readPullRecords } from '../../hub/pull-records.js';
import { snapshotDir } from '../../hub/cache-layout.js';
import type { RepoFile } from '../../hub/types.js';
import { detectVariants } from '../../registry/detect-variants.js';
import { selectVariant, variantName } from '../../registry/select-variant.js';
import type { Device } from '../../registry/model-entry-schema.js';
import { describeArchitecture, formatArchitecture, type Architecture } from '../../models/describe-architecture.js';
import { addHubOptions, hubSettingsFrom, type HubFlags } from '../hub-flags.js';
import { resolveInput } from '../../models/resolve-input.js';

/** Options of `owm show`. */
export interface ShowOptions extends HubFlags {
  model: string;
  revision?: string;
  json?: boolean;
}

/** One variant of a model, with its size and whether it is pulled. */
export interface VariantDetails {
  name: string;
  layout: string;
  bytes: number;
  isDefaultCpu: boolean;
  isDefaultCuda: boolean;
  pulled: boolean;
}

/** Everything `owm show` knows about a model. */
export interface ModelDetails {
  name?: string;
  repo: string;
  description?: string;
  commit?: string;
  license?: { id: string; name?: string; url?: string };
  /** Undefined when nobody can tell (offline, no registry entry, not pulled by owm). */
  gated?: boolean;
  architecture: Architecture;
  parameters?: number;
  variants: VariantDetails[];
  /** Snapshot folder of the pulled copy, if any. */
  localPath?: string;
  /** Files of the pulled copy. */
  files: string[];
  /** Why the Hub's view is missing (offline, unreachable), if it is. */
  note?: string;
}

/** Registers `owm show`. */
export function registerShow(program: Command): void {
  const command = program
    .command('show')
    .description('show a model\'s license, architecture, variants and sizes, and where it is cached')
    .argument('<model>', 'registry name or org/name')
    .option('--revision <rev>', 'branch, tag or commit')
    .option('--json', 'print JSON');
  addHubOptions(command).action(async (model: string, flags: Omit<ShowOptions, 'model'>) => {
    const details = await runShow({ model, ...flags });
    process.stdout.write(flags.json ? `${JSON.stringify(details, null, 2)}\n` : formatDetails(details));
  });
}

/** Gathers a model's details from the registry, the Hub (unless offline) and the cache. */
export async function runShow(options: ShowOptions): Promise<ModelDetails> {
  const paths = resolvePaths();
  const settings = hubSettingsFrom(options);
  const ref = await resolveInput(options.model, { revision: options.revision }, paths);
  const records = (await readPullRecords(paths.stateDir)).filter((record) => record.repo === ref.repo);
  const localCommit = records[0]?.commit ?? (await cachedCommit(paths.hubCache, ref.repo, ref.revision));
  const localDir = localCommit ? snapshotDir(paths.hubCache, ref.repo, localCommit) : undefined;
  const localFiles = localDir ? await listSnapshotFiles(localDir).catch(() => [] as RepoFile[]) : [];

  let remote: Awaited<ReturnType<typeof fetchRepoRevision>> | undefined;
  let note: string | undefined;
  if (settings.offline) {
    note = 'offline: variants and sizes are those in the cache';
  } else {
    try {
      remote = await fetchRepoRevision(settings, ref.repo, ref.revision);
    } catch (error) {
      if (localFiles.length === 0) throw error;
      note = `the Hub could not be asked (${error instanceof OwmError ? error.message : String(error)}); showing the cached copy`;
    }
  }
  if (!remote && localFiles.length === 0) {
    throw new OwmError(`${ref.repo} is not in the cache and owm is offline: run \`owm show ${options.model}\` online, or pull it first.`, {
      code: 'not-cached',
    });
  }
  const files = remote?.files ?? localFiles;
  const detected = detectVariants(files);
  const pulledVariants = new Set(records.map((record) => record.variant));
  // The variant `owm pull` would choose for each device, with or without a registry entry.
  const defaultFor = (device: Device): string | undefined => {
    try {
      return variantName(selectVariant(detected, { entry: ref.entry, device, repo: ref.repo }), ref.entry);
    } catch {
      // No ONNX model, or a registry default this revision lacks: no variant is marked.
      return undefined;
    }
  };
  const [defaultCpu, defaultCuda] = [defaultFor('cpu'), defaultFor('cuda')];
  const variants = detected.map((detectedVariant) => {
    const name = variantName(detectedVariant, ref.entry);
    return {
      name,
      layout: detectedVariant.layout,
      bytes: detectedVariant.bytes,
      isDefaultCpu: defaultCpu === name,
      isDefaultCuda: defaultCuda === name,
      pulled: pulledVariants.has(name),
    };
  });

  const readConfig = async (name: string): Promise<unknown> => {
    const candidates = files.filter((file) => file.path === name || file.path.endsWith(`/${name}`));
    const chosen = candidates[0];
    if (!chosen) return undefined;
    const text = localFiles.some((file) => file.path === chosen.path) && localDir
      ? await readFile(path.join(localDir, chosen.path), 'utf8')
      : remote
        ? await fetchRepoText(settings, ref.repo, remote.commit, chosen.path)
        : undefined;
    return text === undefined ? undefined : JSON.parse(text);
  };
  const architecture = describeArchitecture(await readConfig('config.json'), await readConfig('genai_config.json'));

  // Offline, the registry and what the Hub said at pull time stand in for the Hub.
  const pulledLicense = records.find((record) => record.license)?.license;
  const hubLicense = remote?.license ?? pulledLicense;
  const license = ref.entry?.license ?? (hubLicense ? { id: hubLicense } : undefined);
  const pulledGated = records.find((record) => record.gated !== undefined)?.gated;
  return {
    name: ref.name,
    repo: ref.repo,
    description: ref.entry?.description,
    commit: remote?.commit ?? localCommit,
    license,
    gated: remote ? remote.gated !== false : (ref.entry?.gated ?? pulledGated),
    architecture: {
      ...architecture,
      contextLength: ref.entry?.context_length ?? architecture.contextLength,
    },
    parameters: ref.entry?.parameters,
    variants,
    localPath: localFiles.length > 0 ? localDir : undefined,
    files: localFiles.map((file) => file.path).sort(),
    note,
  };
}

function formatDetails(details: ModelDetails): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(13)} ${value}`);
  };
  lines.push(details.name ? `${details.name} (${details.repo})` : details.repo);
  if (details.description) lines.push(`  ${details.description}`);
  lines.push('');
  if (details.license) {
    const { name, id, url } = details.license;
    row('license', [name ?? id, name ? `(${id})` : undefined, url].filter(Boolean).join(' '));
  }
  row('gated', details.gated === undefined ? 'unknown (offline)' : details.gated ? 'yes' : 'no');
  row('architecture', formatArchitecture(details.architecture));
  if (details.architecture.contextLength) row('context', `${details.architecture.contextLength} tokens`);
  if (details.parameters) row('parameters', details.parameters.toLocaleString('en-US'));
  if (details.commit) row('commit', details.commit);
  details.variants.forEach((variant, index) => {
    const marks = [
      variant.isDefaultCpu ? 'default on cpu' : '',
      variant.isDefaultCuda ? 'default on cuda' : '',
      variant.pulled ? 'pulled' : '',
    ].filter(Boolean);
    row(index === 0 ? 'variants' : '', `${variant.name.padEnd(20)} ${formatBytes(variant.bytes).padStart(9)}${marks.length ? `  (${marks.join(', ')})` : ''}`);
  });
  row('local path', details.localPath ?? 'not pulled');
  details.files.forEach((file, index) => row(index === 0 ? 'files' : '', file));
  if (details.note) lines.push('', `note: ${details.note}`);
  return `${lines.join('\n')}\n`;
}
