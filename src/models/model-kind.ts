import { existsSync } from 'node:fs';
import path from 'node:path';
import { readJsonObject } from '../runtime/read-json-object.js';
import type { FoundModel } from './find-model.js';

/** What a model is run for. */
export type ModelKind = 'chat' | 'embedding';

/**
 * Whether a found model embeds or chats, for `owm serve --model` (which takes either): its registry
 * entry says so; else a sentence-transformers folder (modules.json) or a config naming only base
 * models (`BertModel`, `Qwen3Model`, no `...ForCausalLM`) is an embedding model.
 */
export async function modelKindOf(found: FoundModel): Promise<ModelKind> {
  if (found.entry) return found.entry.embedding ? 'embedding' : 'chat';
  const { dir } = found.location;
  if (existsSync(path.join(dir, 'modules.json'))) return 'embedding';
  const architectures = (await readJsonObject(path.join(dir, 'config.json')))?.architectures;
  const names = Array.isArray(architectures) ? architectures.filter((name): name is string => typeof name === 'string') : [];
  return names.length > 0 && names.every((name) => name.endsWith('Model')) ? 'embedding' : 'chat';
}
