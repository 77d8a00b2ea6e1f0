import type { SpeedResult, Spread } from '../../src/runtime/measure-speed.js';
import type { MeasurePlan, RunResult } from './peer-protocol.js';

/**
 * The one repetition count for runners that take a single `--reps` (`owm bench`,
 * `runLlamaCppBench`): the plan's highest, so that the whole plan runs in one process, as it
 * does for the other peers, and peak RSS stays comparable.
 */
export function singleReps(plan: MeasurePlan): number {
  return Math.max(1, ...plan.runs.map((run) => run.reps));
}

/**
 * Puts `measureSpeed`-shaped results back in plan order, with the prefill rate recomputed from the
 * time to first token as every other peer reports it.
 */
export function mergeSpeedResults(plan: MeasurePlan, results: SpeedResult[]): RunResult[] {
  const byLength = new Map(results.map((result) => [result.promptLength, result]));
  return plan.runs.map(({ promptLength }) => {
    const result = byLength.get(promptLength);
    if (!result) throw new Error(`no result for prompt ${promptLength}`);
    return {
      promptLength,
      genTokens: result.genTokens,
      ttftMs: result.timeToFirstTokenMs,
      prefillTokensPerSecond: perSecond(promptLength, result.timeToFirstTokenMs),
      decodeTokensPerSecond: result.decodeTokensPerSecond,
    };
  });
}

/** A longer time is a lower rate: min and max swap. */
function perSecond(tokens: number, ms: Spread): Spread {
  return { median: (tokens / ms.median) * 1000, min: (tokens / ms.max) * 1000, max: (tokens / ms.min) * 1000 };
}
