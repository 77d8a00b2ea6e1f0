import { benchmarkPromptIds, spread } from '../../src/runtime/measure-speed.js';
import type { MeasurePlan, RunResult, TimedGeneration } from './peer-protocol.js';

/** Runs one greedy generation of exactly `genTokens` tokens after `promptIds`. */
export type GenerateOnce = (promptIds: number[], genTokens: number) => Promise<TimedGeneration>;

/** What `measurePlan` returns: per prompt length, and the first measured run's tokens. */
export interface PlanResults {
  runs: RunResult[];
  firstTokens: number[];
}

/**
 * Measures a peer the way every peer is measured: one short warm-up generation, then each planned
 * prompt length `reps` times; `log` receives progress lines.
 */
export async function measurePlan(plan: MeasurePlan, generate: GenerateOnce, log: (line: string) => void): Promise<PlanResults> {
  await generate(benchmarkPromptIds(8, plan.vocab), Math.min(4, plan.genTokens));
  const runs: RunResult[] = [];
  let firstTokens: number[] | undefined;
  for (const { promptLength, reps } of plan.runs) {
    const promptIds = benchmarkPromptIds(promptLength, plan.vocab);
    const timings: TimedGeneration[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      log(`prompt ${promptLength}, run ${rep}/${reps}`);
      const timing = await generate(promptIds, plan.genTokens);
      if (timing.generatedTokens !== plan.genTokens) {
        throw new Error(`generated ${timing.generatedTokens} tokens instead of ${plan.genTokens} at prompt ${promptLength}`);
      }
      firstTokens ??= timing.tokenIds;
      timings.push(timing);
    }
    runs.push({
      promptLength,
      genTokens: plan.genTokens,
      ttftMs: spread(timings.map((t) => t.ttftMs)),
      prefillTokensPerSecond: spread(timings.map((t) => (promptLength / t.ttftMs) * 1000)),
      decodeTokensPerSecond: spread(timings.map((t) => ((t.generatedTokens - 1) / t.decodeMs) * 1000)),
    });
  }
  return { runs, firstTokens: firstTokens ?? [] };
}
