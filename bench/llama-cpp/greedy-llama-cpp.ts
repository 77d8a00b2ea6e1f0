import type { Token } from 'node-llama-cpp';
import { loadLlamaCpp, type LlamaCppSettings } from './load-llama-cpp.js';

/** What to decode: a raw prompt of ids (no BOS added) and how many greedy steps. */
export interface LlamaCppGreedyOptions extends Omit<LlamaCppSettings, 'contextSize' | 'batchSize' | 'threads'> {
  promptIds: number[];
  steps: number;
  /** @default 1 */
  threads?: number;
  /**
   * Feed these ids after the prompt instead of llama.cpp's own picks (teacher forcing), so that
   * step i predicts what follows `forcedIds[0..i-1]` even where the two sides pick differently.
   */
  forcedIds?: number[];
  /** Also return each step's full next-token distribution. @default false */
  probabilities?: boolean;
}

/** llama.cpp's greedy picks, and where asked the distributions they were picked from. */
export interface LlamaCppGreedyResult {
  ids: number[];
  /** Per step, token id → probability, most likely first (softmax of the raw logits, in float32). */
  probabilities?: Map<number, number>[];
  warnings: string[];
}

/**
 * Decodes `steps` tokens greedily after `promptIds` with llama.cpp, the prompt in one batch;
 * end-of-generation ids are picked like any other, as `owm bench` does with EOS ignored.
 */
export async function greedyLlamaCpp(options: LlamaCppGreedyOptions): Promise<LlamaCppGreedyResult> {
  const { promptIds, steps, forcedIds } = options;
  if (forcedIds && forcedIds.length < steps - 1) throw new Error(`greedyLlamaCpp: ${steps} steps need ${steps - 1} forced ids.`);
  const loaded = await loadLlamaCpp({ ...options, threads: options.threads ?? 1, contextSize: promptIds.length + steps, batchSize: promptIds.length });
  try {
    const ids: number[] = [];
    const probabilities: Map<number, number>[] = [];
    // With temperature 0 the sampler is llama.cpp's greedy one, which keeps every candidate: the probabilities span the vocabulary.
    const outputs = loaded.sequence.evaluateWithMetadata(
      promptIds as Token[],
      { probabilities: options.probabilities ?? false },
      { temperature: 0, yieldEogToken: true },
    );
    try {
      // The value handed to next() is the token to evaluate instead of the one just picked.
      let next = await outputs.next();
      while (!next.done) {
        // Typed from a metadata flag known only at run time, the output type leaves the probabilities out.
        const output: { token: Token; probabilities?: Map<Token, number> } = next.value;
        ids.push(output.token);
        if (output.probabilities) probabilities.push(output.probabilities);
        if (ids.length >= steps) break;
        next = await outputs.next(forcedIds?.[ids.length - 1] as Token | undefined);
      }
    } finally {
      await outputs.return();
    }
    return { ids, ...(options.probabilities && { probabilities }), warnings: loaded.warnings };
  } finally {
    await loaded.dispose();
  }
}
