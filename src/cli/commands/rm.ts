import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { formatBytes } from '../../format-bytes.js';
import type { RemovedModel } from '../../hub/remove-model.js';
import { removePulledModel } from '../../models/remove-pulled-model.js';

/** Options of `owm rm`. */
export interface RmOptions {
  model: string;
  variant?: string;
}

/** Registers `owm rm`. */
export function registerRm(program: Command): void {
  program
    .command('rm')
    .alias('remove')
    .description('remove a pulled model (or one variant) from the cache, keeping blobs other snapshots share')
    .argument('<model>', 'registry name or org/name')
    .option('--variant <name>', 'remove only this variant, keeping files other pulled variants need')
    .action(async (model: string, flags: Omit<RmOptions, 'model'>) => {
      const removed = await runRm({ model, ...flags });
      process.stderr.write(
        `removed ${model}${flags.variant ? ` (${flags.variant})` : ''}: ${removed.filesRemoved} files, ${formatBytes(removed.bytesFreed)} freed\n`,
      );
    });
}

/** Runs `owm rm`. */
export async function runRm(options: RmOptions): Promise<RemovedModel> {
  return removePulledModel(options, resolvePaths());
}
