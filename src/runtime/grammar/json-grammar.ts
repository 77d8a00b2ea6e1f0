import { UsageError } from '../../errors.js';
import { callXgrammar } from './call-xgrammar.js';
import type { GrammarSpec } from './grammar-spec.js';
import { loadXgrammar } from './load-xgrammar.js';

/** Any JSON object: `--format json`, OpenAI's `json_object`, Ollama's `format: "json"`. */
export const ANY_JSON_OBJECT_SCHEMA = { type: 'object' } as const;

/**
 * The grammar of values matching `schema` (a parsed JSON Schema). Throws a UsageError naming the
 * problem (`invalid-schema`) when the schema is not an object or xgrammar cannot compile it.
 * `source` names the schema in that message (`--schema shape.json`, `response_format.json_schema`).
 */
export async function jsonGrammar(schema: unknown, source: string): Promise<GrammarSpec> {
  const text = JSON.stringify(schema);
  await jsonSchemaToEbnf(text, source);
  return { type: 'json-schema', schema: text };
}

/**
 * The EBNF xgrammar compiles for a JSON Schema (text): no free whitespace and no newlines, so a
 * value whose strings, arrays and numbers are bounded always ends within a bounded number of tokens.
 */
export async function jsonSchemaToEbnf(schemaText: string, source: string): Promise<string> {
  const schema: unknown = JSON.parse(schemaText);
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new UsageError(`${source} is not a JSON Schema: it must be a JSON object such as {"type": "object", ...}.`, { code: 'invalid-schema' });
  }
  const xgrammar = await loadXgrammar();
  // Testings is the only entry point that turns a schema into EBNF text, which structural tags embed.
  return callXgrammar(`${source} cannot be used`, () => xgrammar.Testings._jsonSchemaToEBNF(schemaText, false, -1));
}
