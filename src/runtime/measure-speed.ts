import type { GenerationStats } from './generate-text.js';
import type { LocalModel } from './local-model.js';

/** What `measureSpeed` runs: every prompt length, each repeated `reps` times, with `genTokens` decode steps. */
export interface SpeedPlan {
  promptLengths: number[];
  genTokens: number;
  reps: number;
  /** Called before each run, for a progress display. */
  onRun?: (run: { promptLength: number; rep: number; of: number }) => void;
}

/** Median and range of one measure over the repetitions. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Speed at one prompt length. */
export interface SpeedResult {
  promptLength: number;
  genTokens: number;
  timeToFirstTokenMs: Spread;
  prefillTokensPerSecond: Spread;
  decodeTokensPerSecond: Spread;
}

/** Median, min and max of some numbers. */
export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Deterministic token ids spread over the vocabulary, so every run and every peer sees the same prompt. */
export function benchmarkPromptIds(length: number, vocabSize: number, seed = 1): number[] {
  let state = seed >>> 0;
  const ids: number[] = [];
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    ids.push(state % vocabSize);
  }
  return ids;
}

/**
 * Measures prefill and decode speed like llama-bench: greedy, EOS ignored so every run decodes
 * exactly `genTokens` tokens, one warm-up run first, then `reps` runs per prompt length.
 */
export async function measureSpeed(model: LocalModel, plan: SpeedPlan): Promise<SpeedResult[]> {
  const run = async (promptLength: number, genTokens: number): Promise<GenerationStats> => {
    const generation = model.generate({
      promptIds: benchmarkPromptIds(promptLength, model.info.vocabSize),
      ignoreEos: true,
      freshCache: true,
      sampling: { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1 },
      maxTokens: genTokens,
      context: promptLength + genTokens + 1,
      stop: [],
      think: 'show',
    });
    for await (const piece of generation) void piece;
    return generation.stats;
  };
  await run(Math.min(8, plan.promptLengths[0] ?? 8), Math.min(4, plan.genTokens));
  const results: SpeedResult[] = [];
  for (const promptLength of plan.promptLengths) {
    const stats: GenerationStats[] = [];
    for (let rep = 0; rep < plan.reps; rep++) {
      plan.onRun?.({ promptLength, rep: rep + 1, of: plan.reps });
      stats.push(await run(promptLength, plan.genTokens));
    }
    results.push({
      promptLength,
      genTokens: plan.genTokens,
      timeToFirstTokenMs: spread(stats.map((s) => s.timeToFirstTokenMs)),
      prefillTokensPerSecond: spread(stats.map((s) => s.prefillTokensPerSecond)),
      decodeTokensPerSecond: spread(stats.map((s) => s.decodeTokensPerSecond)),
    });
  }
  return results;
}
