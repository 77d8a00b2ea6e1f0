import { FALLBACK_SAMPLING, type GenerationRequest } from '../runtime/generate-text.js';
import type { LocalModel } from '../runtime/local-model.js';
import type { ChatMessage } from '../runtime/render-chat-template.js';
import { samplingFrom, type GenerationFlags } from './generation-flags.js';

/** The request for one answer, from the flags and the model's defaults. */
export function buildRequest(model: LocalModel, flags: GenerationFlags & { raw?: boolean }, messages: ChatMessage[], raw?: string): GenerationRequest {
  return {
    ...(raw !== undefined ? { rawPrompt: raw } : { messages }),
    sampling: samplingFrom(flags, model.info.sampling, FALLBACK_SAMPLING),
    maxTokens: flags.maxTokens,
    stop: flags.stop ?? [],
    think: flags.think ?? 'show',
    context: flags.context,
  };
}

