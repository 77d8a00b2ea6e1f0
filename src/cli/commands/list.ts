import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { formatBytes } from '../../format-bytes.js';
import { listPulledModels, type PulledModel } from '../../hub/list-pulled-models.js';
import { loadRegistry } from '../../registry/load-registry.js';
import { formatAge, formatTable } from '../ui/format-table.js';

/** Options of `owm list`. */
export interface ListOptions {
  available?: boolean;
  json?: boolean;
}

/** One registry entry as `owm list --available` shows it. */
export interface AvailableModel {
  name: string;
  aliases: string[];
  repo: string;
  parameters?: number;
  contextLength?: number;
  defaultVariant?: string;
  license?: string;
  gated: boolean;
  description?: string;
  pulled: boolean;
}

/** Registers `owm list`. */
export function registerList(program: Command): void {
  program
    .command('list')
    .alias('ls')
    .description('list pulled models (or, with --available, the models of the registry)')
    .option('--available', 'list the registry, marking what is pulled')
    .option('--json', 'print JSON')
    .action(async (flags: ListOptions) => {
      if (flags.available) {
        const models = await runListAvailable();
        process.stdout.write(flags.json ? `${JSON.stringify(models, null, 2)}\n` : formatAvailable(models));
      } else {
        const models = await runList();
        process.stdout.write(flags.json ? `${JSON.stringify(models, null, 2)}\n` : formatPulled(models));
      }
    });
}

/** The models in the cache. */
export async function runList(): Promise<PulledModel[]> {
  const paths = resolvePaths();
  return listPulledModels(paths.hubCache, paths.stateDir);
}

/** The registry's models, each marked pulled or not. */
export async function runListAvailable(): Promise<AvailableModel[]> {
  const paths = resolvePaths();
  const [registry, pulled] = await Promise.all([
    loadRegistry({ userFile: paths.userRegistryFile }),
    listPulledModels(paths.hubCache, paths.stateDir),
  ]);
  const pulledRepos = new Set(pulled.map((model) => model.repo));
  return [...registry.models.values()].map(({ name, entry }) => ({
    name,
    aliases: entry.aliases,
    repo: entry.repo,
    parameters: entry.parameters,
    contextLength: entry.context_length,
    defaultVariant: entry.default_variant?.cpu,
    license: entry.license?.id,
    gated: entry.gated,
    description: entry.description,
    pulled: pulledRepos.has(entry.repo),
  }));
}

function formatPulled(models: PulledModel[]): string {
  if (models.length === 0) return 'No models pulled yet. Try `owm pull smollm2-135m`, or `owm list --available`.\n';
  return formatTable(
    ['NAME', 'REPO', 'VARIANT', 'SIZE', 'COMMIT', 'LAST USED'],
    models.map((model) => [
      // The name to type: the registry name it was pulled by, else its repo id.
      model.name ?? model.repo,
      model.repo,
      (model.variant ?? '-') + (model.complete ? '' : ' (incomplete)'),
      formatBytes(model.size),
      model.commit.slice(0, 8),
      formatAge(model.lastUsedAt),
    ]),
  );
}

function formatAvailable(models: AvailableModel[]): string {
  return formatTable(
    ['NAME', 'PARAMS', 'CONTEXT', 'VARIANT', 'LICENSE', 'PULLED', 'DESCRIPTION'],
    models.map((model) => [
      model.name,
      model.parameters ? formatCount(model.parameters) : '-',
      model.contextLength ? formatCount(model.contextLength, 1024) : '-',
      model.defaultVariant ?? '-',
      (model.license ?? '-') + (model.gated ? ' (gated)' : ''),
      model.pulled ? 'yes' : '',
      model.description ?? '',
    ]),
  );
}

/** `494000000` → `494M`; `32768` with base 1024 → `32K`. */
function formatCount(value: number, base = 1000): string {
  const units = ['', 'K', 'M', 'B'];
  let scaled = value;
  let unit = 0;
  while (scaled >= base && unit < units.length - 1) {
    scaled /= base;
    unit++;
  }
  return `${Number.isInteger(scaled) || scaled >= 10 ? Math.round(scaled) : scaled.toFixed(1)}${units[unit]}`;
}
