import type { Token } from 'node-llama-cpp';
import { benchmarkPromptIds, spread, type SpeedPlan, type SpeedResult } from '../../src/runtime/measure-speed.js';
import { loadLlamaCpp, type LlamaCppSettings } from './load-llama-cpp.js';

/** What to measure: owm's speed plan, for a GGUF file, on the CPU. */
export interface LlamaCppBenchOptions extends SpeedPlan, Pick<LlamaCppSettings, 'flashAttention' | 'kvCacheType'> {
  ggufPath: string;
  threads: number;
  /** The prompt of a given length. @default `benchmarkPromptIds(length, vocabSize)`, the ids `owm bench` feeds */
  promptIds?: (length: number, vocabSize: number) => number[];
}

/** Load costs and the speed at each prompt length, in the shape `measureSpeed` returns for owm. */
export interface LlamaCppBenchResult {
  /** Starting the llama.cpp binding: about 0 after the first load in a process. */
  initMs: number;
  /** `loadModel` (mmap) and `createContext`. */
  loadMs: number;
  contextMs: number;
  /** Context size llama.cpp allocated (the plan's longest run, rounded up to 256). */
  contextSize: number;
  results: SpeedResult[];
  /** The ids the first measured run generated, to compare with other runtimes on the same weights. */
  firstTokens: number[];
  /** llama.cpp's warnings while loading and running, and node-llama-cpp's checks of the model. */
  warnings: string[];
}

interface TimedRun {
  ttftMs: number;
  decodeMs: number;
  tokenIds: number[];
}

/**
 * Measures llama.cpp (through node-llama-cpp) the way `measureSpeed` measures owm: greedy, with
 * end-of-generation ids decoded like any other so that every run decodes exactly `genTokens`
 * tokens; one short warm-up run, then `reps` runs per prompt length on an emptied sequence, the
 * prompt evaluated in one batch. Time to first token covers the prompt's evaluation and the first
 * greedy pick (native, well under a millisecond); prefill speed is the prompt length over that
 * time; decode speed counts the `genTokens - 1` steps after the first token.
 */
export async function runLlamaCppBench(options: LlamaCppBenchOptions): Promise<LlamaCppBenchResult> {
  const longestPrompt = Math.max(...options.promptLengths);
  const loaded = await loadLlamaCpp({
    ggufPath: options.ggufPath,
    threads: options.threads,
    contextSize: longestPrompt + options.genTokens + 1,
    batchSize: longestPrompt,
    flashAttention: options.flashAttention,
    kvCacheType: options.kvCacheType,
  });
  try {
    const { sequence, vocabSize } = loaded;
    const promptIds = options.promptIds ?? benchmarkPromptIds;
    const run = async (promptLength: number, genTokens: number): Promise<TimedRun> => {
      await sequence.clearHistory();
      const prompt = promptIds(promptLength, vocabSize) as Token[];
      const tokenIds: number[] = [];
      let firstTokenAt = 0;
      const started = performance.now();
      for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
        if (tokenIds.length === 0) firstTokenAt = performance.now();
        tokenIds.push(token);
        if (tokenIds.length >= genTokens) break;
      }
      const ended = performance.now();
      if (tokenIds.length !== genTokens) throw new Error(`llama.cpp generated ${tokenIds.length} tokens instead of ${genTokens} after a prompt of ${promptLength}.`);
      return { ttftMs: firstTokenAt - started, decodeMs: ended - firstTokenAt, tokenIds };
    };

    await run(Math.min(8, options.promptLengths[0] ?? 8), Math.min(4, options.genTokens));
    const results: SpeedResult[] = [];
    let firstTokens: number[] | undefined;
    for (const promptLength of options.promptLengths) {
      const runs: TimedRun[] = [];
      for (let rep = 0; rep < options.reps; rep++) {
        options.onRun?.({ promptLength, rep: rep + 1, of: options.reps });
        runs.push(await run(promptLength, options.genTokens));
        firstTokens ??= runs[0].tokenIds;
      }
      const decodeSteps = options.genTokens - 1;
      results.push({
        promptLength,
        genTokens: options.genTokens,
        timeToFirstTokenMs: spread(runs.map((r) => r.ttftMs)),
        prefillTokensPerSecond: spread(runs.map((r) => (promptLength / r.ttftMs) * 1000)),
        decodeTokensPerSecond: spread(runs.map((r) => (decodeSteps > 0 && r.decodeMs > 0 ? (decodeSteps / r.decodeMs) * 1000 : 0))),
      });
    }
    return {
      initMs: loaded.initMs,
      loadMs: loaded.loadMs,
      contextMs: loaded.contextMs,
      contextSize: loaded.context.contextSize,
      results,
      firstTokens: firstTokens ?? [],
      warnings: loaded.warnings,
    };
  } finally {
    await loaded.dispose();
  }
}
