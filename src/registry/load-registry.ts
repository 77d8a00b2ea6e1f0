import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths } from '../config.js';
import { RegistryError, describeError } from '../errors.js';
import { parseRegistryFile } from './parse-registry-file.js';
import type { RegisteredModel, Registry } from './registry.js';

/** Where {@link loadRegistry} reads from. */
export interface LoadRegistryOptions {
  /** The built-in registry. @default the models.yaml at the root of the owm package */
  builtinFile?: string;
  /**
   * The user's registry, overlaid on the built-in one; a missing file is fine, `null` skips it.
   * @default resolvePaths().userRegistryFile
   */
  userFile?: string | null;
}

/**
 * Loads the built-in registry and overlays the user's file: a user entry adds a name or replaces
 * the built-in entry of the same name entirely. Names and aliases must not clash.
 */
export async function loadRegistry(options: LoadRegistryOptions = {}): Promise<Registry> {
  const builtinFile = path.resolve(options.builtinFile ?? path.join(packageRoot(), 'models.yaml'));
  const userFile = options.userFile === undefined ? resolvePaths().userRegistryFile : options.userFile;

  const builtinText = await readText(builtinFile);
  if (builtinText === undefined) {
    throw new RegistryError(
      `The built-in registry ${builtinFile} is missing. Reinstall owm.`,
      { code: 'registry-missing' },
    );
  }
  const models = new Map<string, RegisteredModel>();
  for (const model of parseRegistryFile(builtinText, builtinFile, true)) models.set(model.name, model);

  if (userFile !== null) {
    const resolved = path.resolve(userFile);
    const userText = await readText(resolved);
    if (userText !== undefined) {
      for (const model of parseRegistryFile(userText, resolved, false)) models.set(model.name, model);
    }
  }

  checkNameClashes(models);
  return { models };
}

/** Reads a file, or returns undefined when it does not exist. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegistryError(`Cannot read ${file}: ${describeError(error)}. Check its permissions.`, {
      code: 'registry-unreadable',
      cause: error,
    });
  }
}

/** Throws when a name or alias points at two entries, naming both entries and where they are. */
function checkNameClashes(models: ReadonlyMap<string, RegisteredModel>): void {
  const owners = new Map<string, { model: RegisteredModel; asAlias: boolean }>();
  for (const model of models.values()) {
    const keys = [
      { key: model.name, asAlias: false },
      ...model.entry.aliases.map((alias) => ({ key: alias, asAlias: true })),
    ];
    for (const { key, asAlias } of keys) {
      const owner = owners.get(key);
      if (owner === undefined) {
        owners.set(key, { model, asAlias });
        continue;
      }
      const here = `${model.source.file}:${model.source.line}`;
      const what = `${asAlias ? 'alias' : 'name'} '${key}'`;
      if (owner.model === model) {
        throw new RegistryError(
          `${here}: model '${model.name}': ${what} is listed twice. Fix the file or remove the entry.`,
          { code: 'registry-clash' },
        );
      }
      const theirs = `${owner.asAlias ? 'an alias' : 'the name'} of model '${owner.model.name}'`;
      throw new RegistryError(
        `${here}: model '${model.name}': ${what} is already ${theirs} ` +
          `(${owner.model.source.file}:${owner.model.source.line}). Rename one of them.`,
        { code: 'registry-clash' },
      );
    }
  }
}

/** The folder holding owm's package.json, found from this module whether it runs from src/ or dist/. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new RegistryError('Cannot find the owm package folder. Reinstall owm.', {
        code: 'registry-missing',
      });
    }
    dir = parent;
  }
  return dir;
}
