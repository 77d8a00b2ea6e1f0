import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { formatBytes } from '../../format-bytes.js';
import { checkOutdated, isOutdated } from '../../models/check-outdated.js';
import { updateVariant } from '../../models/update-variant.js';
import { addHubOptions, hubSettingsFrom, type HubFlags } from '../hub-flags.js';
import { pullWithProgress } from '../pull-with-progress.js';

/** Options of `owm update`. */
export interface UpdateOptions extends HubFlags {
  models: string[];
  acceptLicense?: boolean;
  quiet?: boolean;
}

/** Registers `owm update`. */
export function registerUpdate(program: Command): void {
  const command = program
    .command('update')
    .description('bring outdated models to their revision\'s latest commit, downloading only the changed files')
    .argument('[models...]', 'registry names or org/name (default: every outdated model)')
    .option('--accept-license', 'accept a changed license without asking (needed when not on a terminal)')
    .option('-q, --quiet', 'no progress output');
  addHubOptions(command).action(async (models: string[], flags: Omit<UpdateOptions, 'models'>) => {
    await runUpdate({ models, ...flags });
  });
}

/** Updates the outdated models among those named (all pulled ones when none is); returns how many were updated. */
export async function runUpdate(options: UpdateOptions): Promise<number> {
  const paths = resolvePaths();
  const settings = hubSettingsFrom(options);
  const outdated = (await checkOutdated({ paths, settings, models: options.models })).filter(isOutdated);
  if (outdated.length === 0 && options.quiet !== true) process.stderr.write('Every model is up to date.\n');
  for (const status of outdated) {
    const label = `${status.name}:${status.variant}`;
    await updateVariant(status, paths, (ref) =>
      pullWithProgress({ ref, label, device: 'cpu', settings, paths, acceptLicense: options.acceptLicense === true, quiet: options.quiet === true }),
    );
    if (options.quiet !== true) {
      process.stderr.write(
        `updated ${label}: ${status.currentCommit.slice(0, 8)} → ${status.latestCommit.slice(0, 8)} (${status.changedFiles.length} changed file(s), ${formatBytes(status.bytesToDownload)} downloaded)\n`,
      );
    }
  }
  return outdated.length;
}
