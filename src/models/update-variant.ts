import type { OwmPaths } from '../config.js';
import { readPullRecords } from '../hub/pull-records.js';
import { removeModel } from '../hub/remove-model.js';
import type { Snapshot } from '../hub/types.js';
import type { ModelRef } from '../registry/resolve-model.js';
import { removeStaleOptimized } from '../runtime/optimize/remove-optimized.js';
import type { VariantStatus } from './check-outdated.js';

/**
 * Brings an outdated variant to the latest commit of its revision: `pull` fetches only the files
 * whose blobs are not in the cache yet and moves the ref last (so an interrupted update leaves
 * the old snapshot running); then the old snapshot's files that no other pulled variant still
 * uses are removed, with the blobs nothing links to any more and the rewritten graphs made
 * from them.
 */
export async function updateVariant(status: VariantStatus, paths: OwmPaths, pull: (ref: ModelRef) => Promise<Snapshot>): Promise<Snapshot> {
  const snapshot = await pull(status.ref);
  const old = status.currentCommit;
  if (snapshot.commit !== old) {
    const stillOnOld = (await readPullRecords(paths.stateDir)).filter((record) => record.repo === status.repo && record.commit === old);
    const needed = new Set(stillOnOld.flatMap((record) => record.files));
    await removeModel({
      hubCache: paths.hubCache,
      repo: status.repo,
      commit: old,
      // Nothing else pulled from the old commit: the whole snapshot goes, strays included.
      files: stillOnOld.length === 0 ? undefined : status.record.files.filter((file) => !needed.has(file)),
    });
  }
  await removeStaleOptimized(paths.optimizedCache);
  return snapshot;
}
