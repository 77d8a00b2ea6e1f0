/**
 * What the output must look like, in a form that crosses to the model worker (plain data): the
 * worker compiles it against the model's vocabulary. Built on the main thread by
 * `jsonGrammar`/`toolCallGrammar`, which reject what xgrammar cannot compile before any model runs.
 */
export type GrammarSpec =
  /** A JSON value matching this JSON Schema (text), written without free whitespace. */
  | { type: 'json-schema'; schema: string }
  /**
   * xgrammar's structural tag (JSON text): free text or tool calls. `literalTokens` are special
   * tokens the grammar writes as text (Mistral's `[TOOL_CALLS]`), which are otherwise never allowed.
   */
  | { type: 'structural-tag'; tag: string; literalTokens: string[] };
