import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { RuntimeError, describeError } from '../errors.js';
import { isJsonObject, readJsonObject } from './read-json-object.js';

/** The named special tokens a tokenizer config may declare, as chat templates know them. */
const SPECIAL_TOKEN_KEYS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

/** Options of `ModelTokenizer.encode`. */
export interface EncodeOptions {
  /**
   * Add the model's special tokens (BOS) as its config says. Leave it off for text rendered by a
   * chat template: templates write their own BOS, as transformers assumes.
   * @default true
   */
  addSpecialTokens?: boolean;
}

/** Options of `ModelTokenizer.decode`. */
export interface DecodeOptions {
  /** Leave special tokens (BOS, EOS, `<|im_end|>`, ...) out of the text. @default false */
  skipSpecialTokens?: boolean;
  /**
   * Remove spaces before punctuation (` .` → `.`) as old BERT-era tokenizers did.
   * @default the config's `clean_up_tokenization_spaces`, true when absent (as transformers.js)
   */
  cleanUpTokenizationSpaces?: boolean;
}

/** A model's tokenizer: text ↔ ids, plus the special tokens generation and templates need. */
export interface ModelTokenizer {
  /** Text → token ids. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Token ids → text; an empty list gives an empty string. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** The id of a token string (added tokens included), or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined;
  /** The token string of an id, or undefined when the id is out of the vocabulary. */
  idToToken(id: number): string | undefined;
  /** The beginning-of-sequence token and its id, when the config names one (Qwen has none). */
  readonly bosToken?: string;
  readonly bosTokenId?: number;
  /** The config's end-of-sequence token and its id (generation_config.json may list more ids). */
  readonly eosToken?: string;
  readonly eosTokenId?: number;
  /** The padding token and its id, when the config names one. */
  readonly padToken?: string;
  readonly padTokenId?: number;
  /** The named special tokens (`bos_token`, `eos_token`, ...) present in the config, for chat templates. */
  readonly specialTokens: Readonly<Record<string, string>>;
  /** Every special token id: added tokens marked special, the named ones and the additional ones. */
  readonly specialTokenIds: ReadonlySet<number>;
  /** Whether `decode` cleans up tokenization spaces by default. */
  readonly cleanUpTokenizationSpaces: boolean;
}

/**
 * Loads the tokenizer of a model folder from tokenizer.json, tokenizer_config.json and
 * special_tokens_map.json (the last two optional).
 */
export async function loadTokenizer(modelDir: string): Promise<ModelTokenizer> {
  const tokenizerFile = path.join(modelDir, 'tokenizer.json');
  const tokenizerJson = await readJsonObject(tokenizerFile);
  if (tokenizerJson === undefined) {
    throw new RuntimeError(
      `${modelDir} has no tokenizer.json; pull the model again, or use a model that ships a Hugging Face tokenizer.`,
      { code: 'missing-tokenizer' },
    );
  }
  const config = (await readJsonObject(path.join(modelDir, 'tokenizer_config.json'))) ?? {};
  const specialTokensMap = (await readJsonObject(path.join(modelDir, 'special_tokens_map.json'))) ?? {};

  // tokenizer_config.json wins; special_tokens_map.json only fills what it leaves out.
  const specialTokens: Record<string, string> = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const content = tokenContent(config[key]) ?? tokenContent(specialTokensMap[key]);
    if (content !== undefined) specialTokens[key] = content;
  }
  const additional = tokenList(config.additional_special_tokens ?? specialTokensMap.additional_special_tokens);

  let core: Tokenizer;
  try {
    // The library expects plain strings where configs may hold AddedToken objects.
    core = new Tokenizer(tokenizerJson, { ...config, ...specialTokens, additional_special_tokens: additional });
  } catch (error) {
    throw new RuntimeError(`Cannot use ${tokenizerFile}: ${describeError(error)}.`, {
      cause: error,
      code: 'invalid-model-file',
    });
  }

  const specialTokenIds = new Set<number>();
  for (const [id, token] of core.get_added_tokens_decoder()) if (token.special) specialTokenIds.add(id);
  for (const token of [...Object.values(specialTokens), ...additional]) {
    const id = core.token_to_id(token);
    if (id !== undefined) specialTokenIds.add(id);
  }

  return new HfModelTokenizer(core, {
    specialTokens,
    specialTokenIds,
    addBosToken: typeof config.add_bos_token === 'boolean' ? config.add_bos_token : undefined,
    cleanUpTokenizationSpaces:
      typeof config.clean_up_tokenization_spaces === 'boolean' ? config.clean_up_tokenization_spaces : true,
  });
}

interface TokenizerSettings {
  specialTokens: Record<string, string>;
  specialTokenIds: Set<number>;
  /** The config's `add_bos_token`; undefined leaves BOS to tokenizer.json's post-processor. */
  addBosToken: boolean | undefined;
  cleanUpTokenizationSpaces: boolean;
}

class HfModelTokenizer implements ModelTokenizer {
  readonly bosToken?: string;
  readonly bosTokenId?: number;
  readonly eosToken?: string;
  readonly eosTokenId?: number;
  readonly padToken?: string;
  readonly padTokenId?: number;
  readonly specialTokens: Readonly<Record<string, string>>;
  readonly specialTokenIds: ReadonlySet<number>;
  readonly cleanUpTokenizationSpaces: boolean;
  private readonly addBosToken: boolean | undefined;

  constructor(
    private readonly core: Tokenizer,
    settings: TokenizerSettings,
  ) {
    this.specialTokens = settings.specialTokens;
    this.specialTokenIds = settings.specialTokenIds;
    this.cleanUpTokenizationSpaces = settings.cleanUpTokenizationSpaces;
    this.addBosToken = settings.addBosToken;
    const { bos_token: bos, eos_token: eos, pad_token: pad } = settings.specialTokens;
    if (bos !== undefined) [this.bosToken, this.bosTokenId] = [bos, core.token_to_id(bos)];
    if (eos !== undefined) [this.eosToken, this.eosTokenId] = [eos, core.token_to_id(eos)];
    if (pad !== undefined) [this.padToken, this.padTokenId] = [pad, core.token_to_id(pad)];
  }

  encode(text: string, { addSpecialTokens = true }: EncodeOptions = {}): number[] {
    const ids = this.core.encode(text, { add_special_tokens: addSpecialTokens }).ids;
    if (!addSpecialTokens || this.bosToken === undefined || this.bosTokenId === undefined) return ids;
    return this.withOneBos(ids, text.startsWith(this.bosToken));
  }

  /**
   * Settles the leading BOS of an encoding with special tokens: `add_bos_token` decides when the
   * config sets it (as Python's fast tokenizers rebuild their post-processor from it), and a BOS
   * the text already starts with (a template wrote it) is never doubled.
   */
  private withOneBos(ids: number[], textHasBos: boolean): number[] {
    const bos = this.bosTokenId as number;
    let leading = 0;
    while (ids[leading] === bos) leading++;
    const addedByPostProcessor = leading > (textHasBos ? 1 : 0);
    const wantBos = textHasBos || (this.addBosToken ?? addedByPostProcessor);
    const body = ids.slice(leading);
    return wantBos ? [bos, ...body] : body;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const kept = skip ? ids.filter((id) => !this.specialTokenIds.has(id)) : [...ids];
    if (kept.length === 0) return '';
    return this.core.decode(kept, {
      skip_special_tokens: skip,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.core.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.core.id_to_token(id);
  }
}

/** A token given as a string or in AddedToken form (`{"content": "<s>", ...}`). */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (isJsonObject(value) && typeof value.content === 'string' && value.content !== '') return value.content;
  return undefined;
}

function tokenList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map(tokenContent).filter((token): token is string => token !== undefined);
}
