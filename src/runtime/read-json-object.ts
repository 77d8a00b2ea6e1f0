import { readFile } from 'node:fs/promises';
import { RuntimeError, describeError } from '../errors.js';

/** A parsed JSON object whose fields are not trusted yet. */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads one of a model folder's JSON files: undefined when the file is absent, a RuntimeError
 * naming the file when it cannot be read, parsed, or is not an object.
 */
export async function readJsonObject(file: string): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError(`Cannot read ${file}: ${describeError(error)}.`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(`${file} is not valid JSON (${describeError(error)}); pull the model again.`, {
      cause: error,
      code: 'invalid-model-file',
    });
  }
  if (!isJsonObject(value)) {
    throw new RuntimeError(`${file} does not hold a JSON object; pull the model again.`, {
      code: 'invalid-model-file',
    });
  }
  return value;
}
