import type { SampledToken } from '../runtime/generate-tokens.js';

type TokenText = (id: number) => string;

/** Chat completions' `logprobs.content`: one entry per token, with its UTF-8 bytes and the top alternatives. */
export function chatLogprobs(tokens: readonly SampledToken[], tokenText: TokenText): Record<string, unknown> {
  const entry = (id: number, logprob: number): { token: string; logprob: number; bytes: number[] } => {
    const token = tokenText(id);
    return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  };
  return {
    content: tokens.map((token) => ({
      ...entry(token.id, token.logprob ?? 0),
      top_logprobs: (token.top ?? []).map((top) => entry(top.id, top.logprob)),
    })),
    refusal: null,
  };
}

/** Legacy completions' `logprobs`: parallel lists of tokens, their log probabilities, the top alternatives and text offsets. */
export function completionLogprobs(tokens: readonly SampledToken[], tokenText: TokenText, startOffset: number): Record<string, unknown> {
  const texts = tokens.map((token) => tokenText(token.id));
  const offsets: number[] = [];
  let offset = startOffset;
  for (const text of texts) {
    offsets.push(offset);
    offset += text.length;
  }
  return {
    tokens: texts,
    token_logprobs: tokens.map((token) => token.logprob ?? 0),
    top_logprobs: tokens.map((token) => Object.fromEntries((token.top ?? []).map((top) => [tokenText(top.id), top.logprob]))),
    text_offset: offsets,
  };
}
