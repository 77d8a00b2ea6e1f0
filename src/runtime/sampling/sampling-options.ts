/** How the next token is chosen from the model's logits. */
export interface SamplingOptions {
  /** Softmax temperature; 0 always picks the most likely token (greedy). */
  temperature: number;
  /** Sample among the k most likely tokens only; 0 = no limit. 1 is greedy. */
  topK: number;
  /** Sample among the fewest most likely tokens whose probabilities sum to at least this; 1 = no limit. */
  topP: number;
  /** Drop tokens less likely than this fraction of the most likely one; 0 = no limit. */
  minP: number;
  /** Logits of recently seen tokens are divided (if positive) or multiplied (if negative) by this; 1 = off. */
  repeatPenalty: number;
  /** How many of the last history tokens the penalties look at; 0 = none, -1 = all. @default 64 */
  repeatLastN?: number;
  /** Subtracted from a token's logit once per time it appears in that window (OpenAI's frequency_penalty). @default 0 */
  frequencyPenalty?: number;
  /** Subtracted from a token's logit once if it appears in that window at all (OpenAI's presence_penalty). @default 0 */
  presencePenalty?: number;
  /** Seed of the random generator: the same seed, logits and history give the same token. @default random */
  seed?: number;
}

/** True when sampling always picks the most likely token: the same logits and history, the same token. */
export function isGreedy(options: Pick<SamplingOptions, 'temperature' | 'topK'>): boolean {
  return options.temperature === 0 || options.topK === 1;
}

/** Sampling settings when neither the model nor the user gives one. */
export const FALLBACK_SAMPLING: SamplingOptions = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.0 };
