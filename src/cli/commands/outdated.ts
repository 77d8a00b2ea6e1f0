import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { formatBytes } from '../../format-bytes.js';
import { checkOutdated, isOutdated, type VariantStatus } from '../../models/check-outdated.js';
import { addHubOptions, hubSettingsFrom, type HubFlags } from '../hub-flags.js';
import { formatTable } from '../ui/format-table.js';

/** Options of `owm outdated`. */
export interface OutdatedOptions extends HubFlags {
  models: string[];
  json?: boolean;
}

/** Registers `owm outdated`. */
export function registerOutdated(program: Command): void {
  const command = program
    .command('outdated')
    .description('list pulled models whose files changed on the Hub since they were pulled')
    .argument('[models...]', 'registry names or org/name (default: every pulled model)')
    .option('--json', 'print JSON');
  addHubOptions(command).action(async (models: string[], flags: Omit<OutdatedOptions, 'models'>) => {
    const statuses = await runOutdated({ models, ...flags });
    process.stdout.write(flags.json ? `${JSON.stringify(statuses.map(publicStatus), null, 2)}\n` : formatOutdated(statuses));
  });
}

/** Checks the pulled models; returns every variant's status. */
export async function runOutdated(options: OutdatedOptions): Promise<VariantStatus[]> {
  return checkOutdated({ paths: resolvePaths(), settings: hubSettingsFrom(options), models: options.models });
}

/** A status as `--json` prints it (without the internal record and reference). */
export function publicStatus(status: VariantStatus): Record<string, unknown> {
  const { record: _record, ref: _ref, ...rest } = status;
  return { ...rest, outdated: isOutdated(status) };
}

function formatOutdated(statuses: VariantStatus[]): string {
  const outdated = statuses.filter(isOutdated);
  if (outdated.length === 0) return `Every pulled model is up to date (${statuses.length} checked).\n`;
  return formatTable(
    ['MODEL', 'VARIANT', 'COMMIT', 'CHANGED FILES', 'DOWNLOAD'],
    outdated.map((status) => [
      status.name,
      status.variant,
      `${status.currentCommit.slice(0, 8)} → ${status.latestCommit.slice(0, 8)}`,
      status.changedFiles.map((file) => file.path).join(', '),
      formatBytes(status.bytesToDownload),
    ]),
  );
}
