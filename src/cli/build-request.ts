import type { GenerationRequest } from '../runtime/generate-text.js';
import type { ChatMessage } from '../runtime/render-chat-template.js';
import { samplingOverrides, type GenerationFlags } from './generation-flags.js';

/** The request for one answer from the flags; what they leave unset, the model's defaults decide. */
export function buildRequest(flags: GenerationFlags, messages: ChatMessage[], raw?: string): GenerationRequest {
  return {
    ...(raw !== undefined ? { rawPrompt: raw } : { messages }),
    sampling: samplingOverrides(flags),
    maxTokens: flags.maxTokens,
    stop: flags.stop ?? [],
    think: flags.think ?? 'show',
    context: flags.context,
    grammar: flags.grammar,
    promptLookup: flags.promptLookup,
  };
}
