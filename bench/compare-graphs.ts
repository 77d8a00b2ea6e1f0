import { parseArgs } from 'node:util';
import type * as ort from 'onnxruntime-node';
import type * as CreateSessionModule from '../src/runtime/create-session.js';
import type * as FeedPromptModule from '../src/runtime/feed-prompt.js';
import type * as GraphSignatureModule from '../src/runtime/graph-signature.js';
import type * as KvDecoderModule from '../src/runtime/kv-decoder.js';
import { benchmarkPromptIds, spread } from '../src/runtime/measure-speed.js';
import { importDist } from './peers/dist-module.js';

// `npm run bench:graphs -- BEFORE.onnx AFTER.onnx [--contexts 128,2048] [--steps 32] [--rounds 3]`:
// two decoder graphs (say, a rewrite before and after a change) side by side in one process, on the
// same threads and prompt, their runs alternating so that the machine's drift touches both alike.
const USAGE = 'usage: npm run bench:graphs -- BEFORE.onnx AFTER.onnx [--contexts 128,2048] [--steps 32] [--rounds 3] [--threads N]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    contexts: { type: 'string', default: '128,2048' },
    steps: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string' },
  },
});
if (positionals.length !== 2) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const contexts = values.contexts.split(',').map(Number);
const steps = Number(values.steps);
const rounds = Number(values.rounds);

const { createSession } = await importDist<typeof CreateSessionModule>('runtime/create-session.js');
const { readGraphSignature } = await importDist<typeof GraphSignatureModule>('runtime/graph-signature.js');
const { KvDecoder } = await importDist<typeof KvDecoderModule>('runtime/kv-decoder.js');
const { feedPrompt } = await importDist<typeof FeedPromptModule>('runtime/feed-prompt.js');

interface Run {
  prefillMs: number;
  /** Median time of one decode step. */
  stepMs: number;
  tokens: number[];
}

async function load(modelPath: string): Promise<{ session: ort.InferenceSession; decoder: KvDecoderModule.KvDecoder }> {
  const { session } = await createSession(modelPath, { device: 'cpu', threads: values.threads ? Number(values.threads) : undefined });
  return { session, decoder: new KvDecoder(session, readGraphSignature(session, modelPath)) };
}

/** A prompt of `context` ids, then `steps` greedy steps. */
async function measure(decoder: KvDecoderModule.KvDecoder, context: number, vocab: number): Promise<Run> {
  const prompt = benchmarkPromptIds(context, vocab);
  decoder.reset();
  let started = performance.now();
  let logits = await feedPrompt(decoder, prompt);
  const prefillMs = performance.now() - started;
  const times: number[] = [];
  const tokens: number[] = [];
  for (let step = 0; step < steps; step++) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    tokens.push(best);
    started = performance.now();
    logits = await decoder.forward([best]);
    times.push(performance.now() - started);
  }
  return { prefillMs, stepMs: spread(times).median, tokens };
}

const graphs = await Promise.all(positionals.map(load));
const logitsMeta = graphs[0]?.session.outputMetadata.find((meta) => meta.name === 'logits');
const vocab = Number(logitsMeta?.isTensor ? logitsMeta.shape.at(-1) : 30000);
const lines = [
  `before: ${positionals[0]}`,
  `after: ${positionals[1]}`,
  '',
  '| context | decode tok/s before | after | after ÷ before | prefill ms before | after | greedy tokens equal |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const context of contexts) {
  const runs: Run[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (const [i, graph] of graphs.entries()) runs[i]?.push(await measure(graph.decoder, context, vocab));
  }
  const [before, after] = runs.map((list) => ({
    tokPerS: 1000 / spread(list.map((run) => run.stepMs)).median,
    prefillMs: spread(list.map((run) => run.prefillMs)).median,
    tokens: list[0]?.tokens ?? [],
  })) as [{ tokPerS: number; prefillMs: number; tokens: number[] }, { tokPerS: number; prefillMs: number; tokens: number[] }];
  const equal = before.tokens.filter((token, i) => token === after.tokens[i]).length;
  lines.push(
    `| ${context} | ${before.tokPerS.toFixed(1)} | ${after.tokPerS.toFixed(1)} | ${(after.tokPerS / before.tokPerS).toFixed(2)}× | ${before.prefillMs.toFixed(0)} | ${after.prefillMs.toFixed(0)} | ${equal}/${steps} |`,
  );
  process.stderr.write(`[bench] context ${context} done\n`);
}
for (const graph of graphs) await graph.session.release();
process.stdout.write(`${lines.join('\n')}\n`);
