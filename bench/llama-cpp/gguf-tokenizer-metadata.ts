import type { GgufValue, HfTokenizerJson } from './types.js';

/** Special ids and sizes the tokenizer metadata needs besides `tokenizer.json`. */
export interface GgufTokenizerOptions {
  /** Rows of the embedding: the token list is padded (`[PAD<id>]`) or must fit to exactly this. */
  vocab: number;
  bosTokenId: number | null;
  eosTokenId: number;
  padTokenId: number | null;
  /** llama.cpp's pre-tokenizer name. @default `qwen2` for Qwen's tokenizer, `llama-bpe` for Llama 3's */
  pre?: string;
}

// llama_token_type values.
const NORMAL = 1;
const CONTROL = 3;
const USER_DEFINED = 4;
const UNUSED = 5;

/**
 * The `tokenizer.ggml.*` metadata of a byte-level BPE tokenizer as `convert_hf_to_gguf.py` writes
 * it: model `gpt2`, one token string and type per embedding row (added tokens that are special or
 * look it CONTROL, other added tokens USER_DEFINED, missing ids UNUSED `[PAD<id>]`), merges as `"a b"`.
 */
export function ggufTokenizerMetadata(tokenizer: HfTokenizerJson, options: GgufTokenizerOptions): Record<string, GgufValue> {
  const { vocab } = options;
  if (tokenizer.model.type !== undefined && tokenizer.model.type !== 'BPE') {
    throw new Error(`GGUF: only BPE tokenizers are supported, not ${tokenizer.model.type}.`);
  }
  const tokens: (string | undefined)[] = new Array<string | undefined>(vocab);
  const types = new Int32Array(vocab);
  const place = (id: number, content: string, type: number): void => {
    if (id >= vocab) throw new Error(`GGUF: token ${JSON.stringify(content)} has id ${id}, past the ${vocab} embedding rows.`);
    tokens[id] = content;
    types[id] = type;
  };
  for (const [content, id] of Object.entries(tokenizer.model.vocab)) place(id, content, NORMAL);
  for (const added of tokenizer.added_tokens) place(added.id, added.content, added.special || looksSpecial(added.content) ? CONTROL : USER_DEFINED);
  for (let id = 0; id < vocab; id++) {
    if (tokens[id] === undefined) place(id, `[PAD${id}]`, UNUSED);
  }

  const contents = new Set(tokenizer.added_tokens.map((t) => t.content));
  const pre = options.pre ?? (contents.has('<|im_start|>') ? 'qwen2' : contents.has('<|begin_of_text|>') ? 'llama-bpe' : undefined);
  if (pre === undefined) throw new Error('GGUF: unknown tokenizer; name its llama.cpp pre-tokenizer (pre).');

  const metadata: Record<string, GgufValue> = {
    'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
    'tokenizer.ggml.pre': { type: 'string', value: pre },
    'tokenizer.ggml.tokens': { type: 'string[]', value: tokens as string[] },
    'tokenizer.ggml.token_type': { type: 'int32[]', value: types },
    'tokenizer.ggml.merges': { type: 'string[]', value: tokenizer.model.merges.map((m) => (typeof m === 'string' ? m : m.join(' '))) },
    'tokenizer.ggml.eos_token_id': { type: 'uint32', value: options.eosTokenId },
    // Llama 3 prepends BOS when tokenizing, Qwen does not; prompts given as ids are fed as they are.
    'tokenizer.ggml.add_bos_token': { type: 'bool', value: pre === 'llama-bpe' },
  };
  if (options.bosTokenId !== null) metadata['tokenizer.ggml.bos_token_id'] = { type: 'uint32', value: options.bosTokenId };
  if (options.padTokenId !== null) metadata['tokenizer.ggml.padding_token_id'] = { type: 'uint32', value: options.padTokenId };
  return metadata;
}

/**
 * The converter's `does_token_look_special`, reduced to the byte-level BPE case: Qwen marks
 * `<|fim_prefix|>` and the like as not special, which llama.cpp would warn about and override.
 */
function looksSpecial(content: string): boolean {
  return content.startsWith('<|') && content.endsWith('|>');
}
