import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../../errors.js';
import type { EmbeddingSpec, Pooling } from '../../registry/model-entry-schema.js';
import { isJsonObject, readJsonObject } from '../read-json-object.js';


/** How token states become one vector, and where that was read. */
export interface PoolingConfig {
  pooling: Pooling;
  /** Scale each vector to length 1 (a `Normalize` module). */
  normalize: boolean;
  /** `folder`: modules.json and its Pooling module; `registry`: owm's entry; `default`: neither said. */
  source: 'folder' | 'registry' | 'default';
}

/** sentence-transformers' Pooling flags, in the order its own Pooling module checks them. */
const MODES: [string, Pooling][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_lasttoken', 'last_token'],
];
const UNSUPPORTED_MODES = ['pooling_mode_mean_sqrt_len_tokens', 'pooling_mode_weightedmean_tokens'];
/** Modules that only pass the vector on or need nothing from owm. */
const PASSIVE_MODULES = /\.(Transformer|Normalize)$/;

/**
 * Reads a sentence-transformers folder's pooling: modules.json, the Pooling module's config.json
 * and whether a Normalize module follows. A folder without modules.json (transformers.js copies)
 * takes the registry entry's settings, else mean pooling and normalization.
 */
export async function readPoolingConfig(dir: string, fallback?: EmbeddingSpec): Promise<PoolingConfig> {
  const modulesFile = path.join(dir, 'modules.json');
  const modules = await readModules(modulesFile);
  if (modules === undefined) {
    if (fallback) return { pooling: fallback.pooling, normalize: fallback.normalize, source: 'registry' };
    return { pooling: 'mean', normalize: true, source: 'default' };
  }
  const poolingModule = modules.find((module) => module.type.endsWith('.Pooling'));
  const foreign = modules.filter((module) => module !== poolingModule && !PASSIVE_MODULES.test(module.type));
  if (!poolingModule || foreign.length > 0) {
    const what = poolingModule ? `modules owm does not run: ${foreign.map((module) => module.type).join(', ')}` : 'no Pooling module';
    throw new RuntimeError(`${modulesFile} lists ${what}: owm embeds with a transformer, a Pooling and an optional Normalize module only.`, {
      code: 'unsupported-graph',
    });
  }
  const configFile = path.join(dir, poolingModule.path, 'config.json');
  const config = await readJsonObject(configFile);
  if (config === undefined) {
    throw new RuntimeError(`${configFile} is missing: pull the model again.`, { code: 'missing-files' });
  }
  const modes = MODES.filter(([key]) => config[key] === true).map(([, mode]) => mode);
  const unsupported = UNSUPPORTED_MODES.filter((key) => config[key] === true);
  if (modes.length !== 1 || unsupported.length > 0) {
    const what = unsupported.length > 0 ? unsupported.join(', ') : modes.length === 0 ? 'no pooling mode' : `several modes (${modes.join(', ')})`;
    throw new RuntimeError(`${configFile} asks for ${what}: owm pools with exactly one of cls, mean, max or last token.`, { code: 'unsupported-graph' });
  }
  return { pooling: modes[0] as Pooling, normalize: modules.some((module) => module.type.endsWith('.Normalize')), source: 'folder' };
}

interface SentenceModule {
  type: string;
  path: string;
}

async function readModules(file: string): Promise<SentenceModule[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(`${file} is not valid JSON (${(error as Error).message}): pull the model again.`, { code: 'invalid-model-file' });
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => isJsonObject(item) && typeof item.type === 'string')) {
    throw new RuntimeError(`${file} is not a list of modules with a type each: pull the model again.`, { code: 'invalid-model-file' });
  }
  return parsed.map((item: Record<string, unknown>) => ({ type: item.type as string, path: typeof item.path === 'string' ? item.path : '' }));
}
