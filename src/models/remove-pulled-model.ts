import type { OwmPaths } from '../config.js';
import { OwmError } from '../errors.js';
import { repoDir } from '../hub/cache-layout.js';
import { forgetPull, readPullRecords } from '../hub/pull-records.js';
import { removeModel, type RemovedModel } from '../hub/remove-model.js';
import { removeOptimizedFor } from '../runtime/optimize/remove-optimized.js';
import { resolveInput } from './resolve-input.js';

/**
 * Removes a model's snapshots, or one variant's files from its snapshot, then every blob no
 * remaining snapshot links to.
 */
export async function removePulledModel(options: { model: string; variant?: string }, paths: OwmPaths): Promise<RemovedModel> {
  const ref = await resolveInput(options.model, { variant: options.variant }, paths);
  // `model:variant` names one variant as `--variant` does.
  const variant = ref.variant;
  const records = (await readPullRecords(paths.stateDir)).filter((record) => record.repo === ref.repo);
  // Fused graphs hard-link the weights: drop them first, or the bytes would stay on disk.
  await removeOptimizedFor(paths.optimizedCache, repoDir(paths.hubCache, ref.repo));
  if (!variant) {
    const removed = await removeModel({ hubCache: paths.hubCache, repo: ref.repo });
    await forgetPull(paths.stateDir, ref.repo);
    return removed;
  }
  const wanted = variant.toLowerCase();
  const target = records.find((record) => record.variant.toLowerCase() === wanted);
  if (!target) {
    const pulled = records.map((record) => record.variant);
    throw new OwmError(
      `Variant '${variant}' of ${ref.repo} is not pulled${pulled.length ? ` (pulled: ${pulled.join(', ')})` : ''}: see \`owm list\`.`,
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
