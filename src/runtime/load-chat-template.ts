import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError, describeError } from '../errors.js';
import { isJsonObject, readJsonObject } from './read-json-object.js';

/**
 * Finds a model folder's chat template source, in transformers' order of precedence:
 * chat_template.jinja, then chat_template.json, then tokenizer_config.json's `chat_template`.
 * Returns null when the model has none (base models).
 */
export async function loadChatTemplate(modelDir: string): Promise<string | null> {
  const jinjaFile = path.join(modelDir, 'chat_template.jinja');
  try {
    return await readFile(jinjaFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RuntimeError(`Cannot read ${jinjaFile}: ${describeError(error)}.`, { cause: error });
    }
  }
  for (const name of ['chat_template.json', 'tokenizer_config.json']) {
    const file = path.join(modelDir, name);
    const json = await readJsonObject(file);
    if (json?.chat_template !== undefined && json.chat_template !== null) {
      return templateFromField(json.chat_template, file);
    }
  }
  return null;
}

/** A `chat_template` field: one template, or named ones of which `default` serves plain chat. */
function templateFromField(value: unknown, file: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((entry) => isJsonObject(entry) && entry.name === 'default');
    if (isJsonObject(named) && typeof named.template === 'string') return named.template;
    throw new RuntimeError(`${file} lists chat templates but none named "default"; report it to the model's authors.`, {
      code: 'invalid-model-file',
    });
  }
  throw new RuntimeError(`${file} has a chat_template that is neither text nor a list; pull the model again.`, {
    code: 'invalid-model-file',
  });
}
