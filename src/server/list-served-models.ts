import { listPulledModels } from '../hub/list-pulled-models.js';
import type { ServeContext } from './serve-context.js';

/** A model a request may name. */
export interface ServedModel {
  /** What a request names it by: the preload alias, else the registry name or repo id (with `:variant` when several are pulled). */
  name: string;
  /** Seconds since the epoch: when it was pulled (or now, for a preloaded folder). */
  createdAt: number;
  /** Bytes of its files, when known. */
  size: number;
  repo?: string;
  variant?: string;
  commit?: string;
}

/** Every model the server can answer with: the preloaded ones, then every complete variant in the cache. */
export async function listServedModels(context: ServeContext): Promise<ServedModel[]> {
  const now = Math.floor(Date.now() / 1000);
  const served: ServedModel[] = [...context.manager.preloaded].map(([alias, found]) => ({
    name: alias,
    createdAt: now,
    size: 0,
    repo: found.snapshot?.repo,
    variant: found.snapshot?.variant,
    commit: found.snapshot?.commit,
  }));
  const pulled = (await listPulledModels(context.paths.hubCache, context.paths.stateDir)).filter((model) => model.complete && model.variant);
  const variantsOf = new Map<string, number>();
  for (const model of pulled) variantsOf.set(model.repo, (variantsOf.get(model.repo) ?? 0) + 1);
  for (const model of pulled) {
    const base = model.name ?? model.repo;
    served.push({
      name: (variantsOf.get(model.repo) ?? 0) > 1 ? `${base}:${model.variant}` : base,
      createdAt: model.pulledAt ? Math.floor(Date.parse(model.pulledAt) / 1000) : now,
      size: model.size,
      repo: model.repo,
      variant: model.variant,
      commit: model.commit,
    });
  }
  return served;
}
