import type { Command } from 'commander';
import { resolvePaths } from '../../config.js';
import { OwmError } from '../../errors.js';
import { formatBytes } from '../../format-bytes.js';
import { forgetPull, readPullRecords } from '../../hub/pull-records.js';
import { repoDir } from '../../hub/cache-layout.js';
import { removeModel, type RemovedModel } from '../../hub/remove-model.js';
import { removeOptimizedFor } from '../../runtime/optimize/remove-optimized.js';
import { resolveInput } from '../resolve-input.js';

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

/**
 * Removes a model's snapshots, or one variant's files from its snapshot, then every blob no
 * remaining snapshot links to.
 */
export async function runRm(options: RmOptions): Promise<RemovedModel> {
  const paths = resolvePaths();
  const ref = await resolveInput(options.model, {}, paths);
  const records = (await readPullRecords(paths.stateDir)).filter((record) => record.repo === ref.repo);
  // Fused graphs hard-link the weights: drop them first, or the bytes would stay on disk.
  await removeOptimizedFor(paths.optimizedCache, repoDir(paths.hubCache, ref.repo));
  if (!options.variant) {
    const removed = await removeModel({ hubCache: paths.hubCache, repo: ref.repo });
    await forgetPull(paths.stateDir, ref.repo);
    return removed;
  }
  const wanted = options.variant.toLowerCase();
  const target = records.find((record) => record.variant.toLowerCase() === wanted);
  if (!target) {
    const pulled = records.map((record) => record.variant);
    throw new OwmError(
      `Variant '${options.variant}' of ${ref.repo} is not pulled${pulled.length ? ` (pulled: ${pulled.join(', ')})` : ''}: see \`owm list\`.`,
      { code: 'not-cached' },
    );
  }
  const stillNeeded = new Set(
    records
      .filter((record) => record !== target && record.commit === target.commit)
      .flatMap((record) => record.files),
  );
  const removed = await removeModel({
    hubCache: paths.hubCache,
    repo: ref.repo,
    commit: target.commit,
    files: target.files.filter((file) => !stillNeeded.has(file)),
  });
  await forgetPull(paths.stateDir, ref.repo, target.variant);
  return removed;
}
