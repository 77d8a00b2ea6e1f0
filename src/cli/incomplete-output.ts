import { RuntimeError } from '../errors.js';
import type { GenerationStats } from '../runtime/generate-text.js';

const CUT_BY: Partial<Record<GenerationStats['stopReason'], string>> = {
  'max-tokens': 'the --max-tokens limit',
  context: 'the end of the context',
  'stop-string': 'a stop string',
};

/**
 * The error for an answer that had to be JSON but ended before its value was complete, or
 * undefined when it was complete (or interrupted, which is its own exit).
 */
export function incompleteOutputError(stats: GenerationStats): RuntimeError | undefined {
  const cause = CUT_BY[stats.stopReason];
  if (!cause) return undefined;
  return new RuntimeError(
    `The JSON answer was cut off by ${cause} after ${stats.generatedTokens} tokens, before the value was complete: raise --max-tokens, or bound the schema's strings and arrays (maxLength, maxItems).`,
    { code: 'incomplete-output' },
  );
}
