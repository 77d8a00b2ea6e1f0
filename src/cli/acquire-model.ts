import { resolvePaths } from '../config.js';
import { findModel, type FoundModel, type ModelPurpose } from '../models/find-model.js';
import type { Device } from '../registry/model-entry-schema.js';
import { hubSettingsFrom, type HubFlags } from './hub-flags.js';

/** How to get the model `owm run` (or `owm bench`, `owm embed`) was given. */
export interface AcquireOptions extends HubFlags {
  model: string;
  variant?: string;
  revision?: string;
  device: Device;
  acceptLicense?: boolean;
  quiet?: boolean;
  /** @default 'chat' */
  purpose?: ModelPurpose;
}

/**
 * Turns the model argument into files on disk: a local folder as it is; a name or repo from the
 * cache when it is there (no network), otherwise pulled first with the same progress and license
 * rules as `owm pull` (offline, the cache's own error says what is missing).
 */
export async function acquireModel(options: AcquireOptions): Promise<FoundModel> {
  const paths = resolvePaths();
  const settings = hubSettingsFrom(options);
  return findModel({
    model: options.model,
    variant: options.variant,
    revision: options.revision,
    device: options.device,
    paths,
    purpose: options.purpose ?? 'chat',
    pull: async (ref, label) => {
      // Loaded only when something must be downloaded: a cached model starts without the hub client.
      const { pullWithProgress } = await import('./pull-with-progress.js');
      return pullWithProgress({
        ref,
        label,
        device: options.device,
        settings,
        paths,
        acceptLicense: options.acceptLicense === true,
        quiet: options.quiet === true,
      });
    },
  });
}
