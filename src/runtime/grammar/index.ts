export type { GrammarSpec } from './grammar-spec.js';
export { ANY_JSON_OBJECT_SCHEMA, jsonGrammar, jsonSchemaToEbnf } from './json-grammar.js';
