import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { ANY_JSON_OBJECT_SCHEMA, jsonGrammar, type GrammarSpec } from '../runtime/grammar/index.js';

/** `--format json` or `--schema FILE`: the shape the answer must take. */
export interface OutputShapeFlags {
  format?: string;
  schema?: string;
}

/**
 * The grammar of `--format json` (any JSON object) or `--schema FILE` (a JSON Schema file), checked
 * before any model loads; undefined for free text. A missing, unparsable or unsupported schema is a
 * usage error naming the file and the problem.
 */
export async function outputGrammar(flags: OutputShapeFlags): Promise<GrammarSpec | undefined> {
  if (flags.format !== undefined && flags.schema !== undefined) {
    throw new UsageError('--format and --schema are alternatives: --schema FILE already asks for JSON, of that shape.');
  }
  if (flags.schema !== undefined) return jsonGrammar(await readSchemaFile(flags.schema), `--schema ${flags.schema}`);
  if (flags.format === undefined || flags.format === 'text') return undefined;
  if (flags.format !== 'json') throw new UsageError(`--format must be json (or text for free text), got ${flags.format}.`);
  return jsonGrammar(ANY_JSON_OBJECT_SCHEMA, '--format json');
}

async function readSchemaFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`Cannot read --schema ${file}: ${reason}.`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--schema ${file} is not valid JSON: ${(error as Error).message}.`);
  }
}
