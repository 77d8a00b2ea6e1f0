import type { LogitsProcessor } from './logits-processor.js';
import type { SamplingOptions } from './sampling-options.js';

const DEFAULT_REPEAT_LAST_N = 64;

/**
 * The repeat, frequency and presence penalties over the last `repeatLastN` ids (prompt included,
 * as llama.cpp counts them): a seen token's logit is divided by the repeat penalty (multiplied
 * when negative), then lowered by the frequency penalty per time it appears and the presence
 * penalty once.
 */
export function createPenalties(options: SamplingOptions): LogitsProcessor {
  const { repeatPenalty, frequencyPenalty = 0, presencePenalty = 0 } = options;
  const lastN = options.repeatLastN ?? DEFAULT_REPEAT_LAST_N;
  const inactive = (repeatPenalty === 1 && frequencyPenalty === 0 && presencePenalty === 0) || lastN === 0;
  return {
    process(logits, history) {
      if (inactive) return undefined;
      const from = lastN < 0 ? 0 : Math.max(0, history.length - lastN);
      const counts = new Map<number, number>();
      for (let i = from; i < history.length; i++) {
        const id = history[i] as number;
        if (id >= 0 && id < logits.length) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const original = new Map<number, number>();
      for (const [id, count] of counts) {
        const value = logits[id] as number;
        original.set(id, value);
        const repeated = value > 0 ? value / repeatPenalty : value * repeatPenalty;
        logits[id] = repeated - frequencyPenalty * count - presencePenalty;
      }
      return () => {
        for (const [id, value] of original) logits[id] = value;
      };
    },
  };
}
