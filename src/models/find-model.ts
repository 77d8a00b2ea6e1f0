import type { OwmPaths } from '../config.js';
import { describeError, OwmError } from '../errors.js';
import { findCachedSnapshot } from '../hub/find-cached-snapshot.js';
import { touchLastUsed } from '../hub/pull-records.js';
import type { Snapshot } from '../hub/types.js';
import type { Device, ModelEntry } from '../registry/model-entry-schema.js';
import type { ModelRef } from '../registry/resolve-model.js';
import type { ModelLocation } from '../runtime/load-decoder.js';
import { locateModel, looksLikePath } from './locate-model.js';
import { variantSelector } from './pull-model.js';
import { resolveInput } from './resolve-input.js';

/** What model to find, and what to do when it is not in the cache. */
export interface FindModelOptions {
  /** A registry name, `org/name` (with `:variant` / `@revision`), or, where `allowPath`, a folder. */
  model: string;
  variant?: string;
  revision?: string;
  device: Device;
  paths: OwmPaths;
  /** Whether `model` may name a folder on disk (the CLI's argument may; an HTTP request may not). @default true */
  allowPath?: boolean;
  /**
   * Brings a model that is not in the cache into it. Without it, such a model is a `not-pulled`
   * error that says to run `owm pull`.
   */
  pull?: (ref: ModelRef, label: string) => Promise<Snapshot>;
  /**
   * What the model is for: a registry entry of the other kind is a `wrong-model-kind` error before
   * anything is pulled. @default 'any'
   */
  purpose?: ModelPurpose;
}

/** What a command uses a model for; `any` checks nothing. */
export type ModelPurpose = 'chat' | 'embedding' | 'any';

/** A model ready to load. */
export interface FoundModel {
  /** The name to show: the registry name, the repo id, or the folder as given. */
  label: string;
  location: ModelLocation;
  /** The cached snapshot it comes from; undefined for a local folder. */
  snapshot?: Snapshot;
  /** Problems that did not stop finding it, for one warning line each. */
  warnings: string[];
  /** The registry entry the name matched, if any. */
  entry?: ModelEntry;
}

/**
 * Turns a model name into files on disk: a local folder as it is; a name or repo from the cache
 * (no network), or through `pull` when it is not there.
 */
export async function findModel(options: FindModelOptions): Promise<FoundModel> {
  const { paths } = options;
  if (options.allowPath !== false && looksLikePath(options.model)) {
    return { label: options.model, location: await locateModel(options.model, { variant: options.variant, device: options.device }), warnings: [] };
  }
  const ref = await resolveInput(options.model, { variant: options.variant, revision: options.revision }, paths);
  const label = ref.name ?? ref.repo;
  refuseWrongKind(label, ref.entry, options.purpose ?? 'any');
  let snapshot: Snapshot;
  try {
    snapshot = await findCachedSnapshot(paths.hubCache, ref.repo, ref.revision, variantSelector(ref, options.device), ref.variant);
  } catch (error) {
    if (!(error instanceof OwmError) || error.code !== 'not-cached') throw error;
    if (!options.pull) {
      throw new OwmError(`Model '${options.model}' is not pulled: run \`owm pull ${options.model}\` first.`, { code: 'not-pulled', cause: error });
    }
    snapshot = await options.pull(ref, label);
  }
  const warnings: string[] = [];
  // Bookkeeping only: a read-only or full state folder must not stop a run.
  await touchLastUsed(paths.stateDir, snapshot.repo, snapshot.variant).catch((error: unknown) =>
    warnings.push(`cannot record this use in ${paths.stateDir} (${(error as { code?: string }).code ?? describeError(error)})`),
  );
  const location = await locateModel(snapshot.dir, { variant: snapshot.variant, entry: ref.entry, device: options.device });
  return { label, location, snapshot, warnings, entry: ref.entry };
}

function refuseWrongKind(label: string, entry: ModelEntry | undefined, purpose: ModelPurpose): void {
  if (!entry || purpose === 'any') return;
  if (purpose === 'chat' && entry.embedding) {
    throw new OwmError(`${label} is an embedding model: use \`owm embed ${label} TEXT\` (or /v1/embeddings) instead.`, { code: 'wrong-model-kind' });
  }
  if (purpose === 'embedding' && !entry.embedding) {
    throw new OwmError(`${label} is a chat model, not an embedding model: use \`owm run ${label}\`, or embed with one of \`owm list --available\`'s embedding models.`, {
      code: 'wrong-model-kind',
    });
  }
}
