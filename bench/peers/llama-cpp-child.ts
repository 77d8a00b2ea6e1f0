import { benchmarkPromptIds } from '../../src/runtime/measure-speed.js';
import type * as LlamaCppModule from '../llama-cpp/index.js';
import { childMain } from './child-main.js';
import { mergeSpeedResults, singleReps } from './speed-results.js';

// llama.cpp through bench/llama-cpp's runLlamaCppBench (node-llama-cpp's prebuilt CPU binding,
// llama.cpp's defaults: F16 KV cache, flash attention where supported) on a GGUF of the same weights.
await childMain('llama.cpp', async (request, log) => {
  const ggufPath = request.options?.gguf;
  if (!ggufPath) throw new Error('llama.cpp peer: no GGUF file');
  const { runLlamaCppBench } = (await import('../llama-cpp/index.js')) as typeof LlamaCppModule;
  const { plan } = request;
  const reps = singleReps(plan);
  const measured = await runLlamaCppBench({
    ggufPath,
    threads: request.threads,
    promptLengths: plan.runs.map((run) => run.promptLength),
    genTokens: plan.genTokens,
    reps,
    promptIds: (length) => benchmarkPromptIds(length, plan.vocab),
    onRun: ({ promptLength, rep, of }) => log(`prompt ${promptLength}, run ${rep}/${of}`),
  });
  const notes = [`GGUF ${ggufPath}`, `--reps ${reps} for every prompt length`, ...new Set(measured.warnings.map((warning) => `llama.cpp: ${warning}`))];
  return { loadMs: measured.initMs + measured.loadMs + measured.contextMs, runs: mergeSpeedResults(plan, measured.results), firstTokens: [], notes };
});
