import { resolvePaths, type OwmPaths } from '../config.js';
import { loadRegistry } from '../registry/load-registry.js';
import { resolveModel, type ModelRef, type ResolveModelOptions } from '../registry/resolve-model.js';

/** Loads the registry (with the user's overlay) and resolves what the user typed. */
export async function resolveInput(
  input: string,
  options: ResolveModelOptions = {},
  paths: OwmPaths = resolvePaths(),
): Promise<ModelRef> {
  const registry = await loadRegistry({ userFile: paths.userRegistryFile });
  return resolveModel(registry, input, options);
}
