import path from 'node:path';
import type { SamplingOptions } from './sampling/index.js';
import { isJsonObject, readJsonObject, type JsonObject } from './read-json-object.js';

/** What a model folder says about generating with it. */
export interface GenerationDefaults {
  /**
   * Ids that end generation: generation_config.json's, config.json's, genai_config.json's and the
   * tokenizer's EOS, merged in that order (Llama 3 Instruct lists several).
   */
  eosTokenIds: number[];
  /**
   * The sampling settings the model ships. When it says `do_sample: false`, greedy
   * (`temperature: 0`); when it says nothing about do_sample, only the values it gives (transformers
   * would decode greedily; owm lets its own defaults fill in).
   */
  sampling: Partial<SamplingOptions>;
  /** `max_length`: the total of prompt and new tokens after which to stop. */
  maxLength?: number;
  /** `max_new_tokens`: how many tokens a reply may have. */
  maxNewTokens?: number;
  /** How many tokens (prompt and reply) the model can attend to. */
  contextLength?: number;
}

/** Options of `loadGenerationConfig`. */
export interface LoadGenerationConfigOptions {
  /** The tokenizer's EOS id, one more id that ends generation. */
  tokenizerEosTokenId?: number;
}

/** Config keys that hold the context length, as different architectures name it. */
const CONTEXT_LENGTH_KEYS = ['max_position_embeddings', 'n_positions', 'max_sequence_length', 'seq_length', 'n_ctx'];

/**
 * Reads generation_config.json, config.json and genai_config.json (each optional) into the
 * defaults generation starts from. Values out of range are left out rather than trusted.
 */
export async function loadGenerationConfig(
  modelDir: string,
  options: LoadGenerationConfigOptions = {},
): Promise<GenerationDefaults> {
  const generation = (await readJsonObject(path.join(modelDir, 'generation_config.json'))) ?? {};
  const config = (await readJsonObject(path.join(modelDir, 'config.json'))) ?? {};
  const genai = (await readJsonObject(path.join(modelDir, 'genai_config.json'))) ?? {};
  const textConfig = objectField(config, 'text_config');
  const genaiModel = objectField(genai, 'model');
  // genai_config.json's search section is the exporter's copy; generation_config.json wins.
  const settings: JsonObject = { ...objectField(genai, 'search'), ...generation };

  const eos = [
    ...tokenIds(generation.eos_token_id),
    ...tokenIds(config.eos_token_id),
    ...tokenIds(textConfig.eos_token_id),
    ...tokenIds(genaiModel.eos_token_id),
    ...tokenIds(options.tokenizerEosTokenId),
  ];

  const defaults: GenerationDefaults = { eosTokenIds: [...new Set(eos)], sampling: samplingFrom(settings) };
  const maxLength = positiveInteger(settings.max_length);
  if (maxLength !== undefined) defaults.maxLength = maxLength;
  const maxNewTokens = positiveInteger(settings.max_new_tokens);
  if (maxNewTokens !== undefined) defaults.maxNewTokens = maxNewTokens;
  const contextLength = [config, textConfig]
    .flatMap((source) => CONTEXT_LENGTH_KEYS.map((key) => positiveInteger(source[key])))
    .concat(positiveInteger(genaiModel.context_length))
    .find((value) => value !== undefined);
  if (contextLength !== undefined) defaults.contextLength = contextLength;
  return defaults;
}

function samplingFrom(settings: JsonObject): Partial<SamplingOptions> {
  const sampling: Partial<SamplingOptions> = {};
  const repeatPenalty = numberIn(settings.repetition_penalty, (value) => value > 0);
  // transformers applies the repetition penalty when decoding greedily too.
  if (repeatPenalty !== undefined) sampling.repeatPenalty = repeatPenalty;
  if (settings.do_sample === false) {
    sampling.temperature = 0;
    return sampling;
  }
  const temperature = numberIn(settings.temperature, (value) => value >= 0);
  if (temperature !== undefined) sampling.temperature = temperature;
  const topK = numberIn(settings.top_k, (value) => Number.isSafeInteger(value) && value >= 0);
  if (topK !== undefined) sampling.topK = topK;
  const topP = numberIn(settings.top_p, (value) => value > 0 && value <= 1);
  if (topP !== undefined) sampling.topP = topP;
  const minP = numberIn(settings.min_p, (value) => value >= 0 && value <= 1);
  if (minP !== undefined) sampling.minP = minP;
  return sampling;
}

function objectField(source: JsonObject, key: string): JsonObject {
  const value = source[key];
  return isJsonObject(value) ? value : {};
}

/** An id or a list of ids, as `eos_token_id` may be. */
function tokenIds(value: unknown): number[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((id): id is number => Number.isSafeInteger(id) && (id as number) >= 0);
}

function numberIn(value: unknown, accept: (value: number) => boolean): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && accept(value) ? value : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return numberIn(value, (number) => Number.isSafeInteger(number) && number > 0);
}
