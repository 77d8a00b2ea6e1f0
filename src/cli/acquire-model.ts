import { resolvePaths } from '../config.js';
import { OwmError } from '../errors.js';
import { findCachedSnapshot } from '../hub/find-cached-snapshot.js';
import { touchLastUsed } from '../hub/pull-records.js';
import type { Device } from '../registry/model-entry-schema.js';
import type { ModelLocation } from '../runtime/load-decoder.js';
import { hubSettingsFrom, type HubFlags } from './hub-flags.js';
import { locateModel, looksLikePath } from './locate-model.js';
import { variantSelector } from './pull-model.js';
import { resolveInput } from './resolve-input.js';

/** How to get the model `owm run` (or `owm bench`) was given. */
export interface AcquireOptions extends HubFlags {
  model: string;
  variant?: string;
  revision?: string;
  device: Device;
  acceptLicense?: boolean;
  quiet?: boolean;
}

/** A model ready to load, and the name to show for it. */
export interface AcquiredModel {
  label: string;
  location: ModelLocation;
}

/**
 * Turns the model argument into files on disk: a local folder as it is; a name or repo from the
 * cache when it is there (no network), otherwise pulled first with the same progress and license
 * rules as `owm pull`.
 */
export async function acquireModel(options: AcquireOptions): Promise<AcquiredModel> {
  if (looksLikePath(options.model)) {
    return { label: options.model, location: await locateModel(options.model, { variant: options.variant, device: options.device }) };
  }
  const paths = resolvePaths();
  const settings = hubSettingsFrom(options);
  const ref = await resolveInput(options.model, { variant: options.variant, revision: options.revision }, paths);
  const label = ref.name ?? ref.repo;
  let snapshot;
  try {
    snapshot = await findCachedSnapshot(paths.hubCache, ref.repo, ref.revision, variantSelector(ref, options.device));
  } catch (error) {
    if (!(error instanceof OwmError) || error.code !== 'not-cached') throw error;
    if (settings.offline) throw error;
    // Loaded only when something must be downloaded: a cached model starts without the hub client.
    const { pullWithProgress } = await import('./pull-with-progress.js');
    snapshot = await pullWithProgress({
      ref,
      label,
      device: options.device,
      settings,
      paths,
      acceptLicense: options.acceptLicense === true,
      quiet: options.quiet === true,
    });
  }
  await touchLastUsed(paths.stateDir, snapshot.repo, snapshot.variant);
  const location = await locateModel(snapshot.dir, { variant: snapshot.variant, entry: ref.entry, device: options.device });
  return { label, location };
}
