import { resolveOwmEnvironment, type HubSettings, type OwmPaths } from '../config.js';
import { OwmError } from '../errors.js';
import { findCachedSnapshot } from '../hub/find-cached-snapshot.js';
import { gatedRepoError } from '../hub/hub-error.js';
import { hasAcceptedLicense, rememberLicenseAcceptance } from '../hub/license-acceptances.js';
import { recordPull } from '../hub/pull-records.js';
import { pullSnapshot, type FileSelector, type PullEvent, type PullPlan } from '../hub/pull-snapshot.js';
import type { Snapshot } from '../hub/types.js';
import { detectVariants } from '../registry/detect-variants.js';
import { selectVariant, variantName } from '../registry/select-variant.js';
import { licenseNotice, type LicenseNotice } from '../registry/license-notice.js';
import type { Device } from '../registry/model-entry-schema.js';
import type { ModelRef } from '../registry/resolve-model.js';

/** How to get a resolved model into the cache, and who to ask about its license. */
export interface PullModelOptions {
  ref: ModelRef;
  device: Device;
  settings: HubSettings;
  paths: OwmPaths;
  /** `--accept-license` was given. */
  acceptLicense: boolean;
  /** Asks the user to accept a license; undefined when nobody can be asked (not a terminal). */
  askLicense?: (notice: LicenseNotice, repo: string) => Promise<boolean>;
  onEvent?: (event: PullEvent) => void;
  signal?: AbortSignal;
}

/** The variant files of a model for one device, chosen from a repo tree. */
export function variantSelector(ref: ModelRef, device: Device): FileSelector {
  return (files) => {
    const chosen = selectVariant(detectVariants(files), { requested: ref.variant, entry: ref.entry, device, repo: ref.repo });
    return { variant: variantName(chosen, ref.entry), paths: chosen.files };
  };
}

/**
 * Brings a model into the cache (or, offline, finds it there), asking for license acceptance
 * first where the license requires it, and records the pull for `owm list`.
 */
export async function pullModel(options: PullModelOptions): Promise<Snapshot> {
  const { ref, settings, paths } = options;
  const selectFiles = variantSelector(ref, options.device);
  let plan: PullPlan | undefined;
  const snapshot = settings.offline
    ? await findCachedSnapshot(paths.hubCache, ref.repo, ref.revision, selectFiles, ref.variant)
    : await pullSnapshot({
        settings,
        hubCache: paths.hubCache,
        repo: ref.repo,
        revision: ref.revision,
        selectFiles,
        onEvent: options.onEvent,
        signal: options.signal,
        stallTimeoutMs: resolveOwmEnvironment().stallTimeoutMs,
        beforeDownload: (planned) => {
          plan = planned;
          return ensureLicenseAccepted(planned, options);
        },
      });
  await recordPull(paths.stateDir, {
    repo: snapshot.repo,
    commit: snapshot.commit,
    revision: ref.revision,
    variant: snapshot.variant,
    files: snapshot.files,
    ...(ref.name ? { name: ref.name } : {}),
    ...(plan ? { gated: plan.gated !== false, ...(plan.license ? { license: plan.license } : {}) } : {}),
  });
  return snapshot;
}

async function ensureLicenseAccepted(plan: PullPlan, options: PullModelOptions): Promise<void> {
  // The Hub lists a gated repo's files to anyone but serves them only with a token: say so now.
  if (plan.gated !== false && !options.settings.token && plan.bytesToDownload > 0) {
    throw gatedRepoError(options.settings.endpoint, plan.repo, false);
  }
  const notice = licenseNotice({
    repo: plan.repo,
    endpoint: options.settings.endpoint,
    entry: options.ref.entry,
    hubLicense: plan.license,
    gated: plan.gated !== false,
  });
  if (!notice) return;
  const { stateDir } = options.paths;
  if (await hasAcceptedLicense(stateDir, plan.repo, notice.id)) return;
  if (!options.acceptLicense) {
    if (!options.askLicense) {
      throw new OwmError(
        `${plan.repo} is distributed under ${notice.name} (${notice.url}), which must be accepted before the first pull: read it, then run again with --accept-license.`,
        { code: 'license-not-accepted' },
      );
    }
    if (!(await options.askLicense(notice, plan.repo))) {
      throw new OwmError(`License of ${plan.repo} not accepted: nothing was downloaded.`, {
        code: 'license-declined',
      });
    }
  }
  await rememberLicenseAcceptance(stateDir, plan.repo, notice.id);
}
