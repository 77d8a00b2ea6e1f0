import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spread, type Spread } from '../src/runtime/measure-speed.js';
import { REBLOCK_SIZES } from '../src/runtime/optimize/optimizer-cache-entry.js';
import { physicalCores } from '../src/runtime/physical-cores.js';
import { BENCH_MODELS, type BenchModel } from './bench-models.js';
import { measureLlamaCpp } from './peers/llama-cpp.js';
import { measureOwmApi } from './peers/owm-api.js';
import type { PeerReport, PeerTarget } from './peers/peer-target.js';
import { prepareGguf } from './prepare-gguf.js';
import { prepareModel } from './prepare-model.js';

// `npm run bench:head-to-head -- [--only MODEL[,MODEL]] [--rounds 4] [--contexts 128,2048] [--reblock 64|128] [--out FILE]`:
// owm's in-process API against llama.cpp, decode only, in alternating rounds (ABBA) of one fresh
// process each, so that the machine's drift over minutes touches both engines alike. The full
// `npm run bench` measures each peer's whole table in one go, minutes apart from the other's.
// `--reblock` adds owm with its weights re-blocked as a third engine in the same rounds.
const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const USAGE = 'usage: npm run bench:head-to-head -- [--only MODEL[,MODEL]] [--rounds N] [--contexts N[,N]] [--reblock 64|128] [--out FILE]';
const DEFAULT_MODELS = ['llama3.2-1b-q4', 'qwen2.5-1.5b-q4'];
const GEN_TOKENS = 32;

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: DEFAULT_MODELS.join(',') },
    rounds: { type: 'string', default: '4' },
    contexts: { type: 'string', default: '128,2048' },
    reblock: { type: 'string' },
    out: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const contexts = values.contexts.split(',').map(Number);
const models = values.only.split(',').map((id) => BENCH_MODELS.find((model) => model.id === id));
const reblock = REBLOCK_SIZES.find((size) => String(size) === values.reblock);
if (!(rounds > 0) || contexts.some((context) => !(context > 0)) || models.some((model) => !model) || (values.reblock !== undefined && !reblock)) {
  process.stderr.write(`${USAGE}\nmodels: ${BENCH_MODELS.map((model) => model.id).join(', ')}\n`);
  process.exit(2);
}
process.env.OWM_HOME = path.join(BENCH_DIR, '.cache', 'owm-home');
const log = (line: string): void => void process.stderr.write(`[head-to-head] ${line}\n`);

/** Decode tok/s per context, one entry per round. */
type Speeds = Map<number, number[]>;

function record(speeds: Speeds, report: PeerReport): void {
  if (!report.measurement) throw new Error(`${report.peer}: ${report.reason ?? 'no measurement'}`);
  for (const run of report.measurement.runs) speeds.get(run.promptLength)?.push(run.decodeTokensPerSecond.median);
}

async function compare(model: BenchModel): Promise<string[]> {
  const prepared = prepareModel(model, path.join(BENCH_DIR, '.cache', 'models'));
  const gguf = await prepareGguf(prepared);
  const target: PeerTarget = {
    prepared,
    threads: physicalCores(),
    coldReps: 0,
    coldPrompt: '',
    plan: { runs: contexts.map((promptLength) => ({ promptLength, reps: 1 })), genTokens: GEN_TOKENS, vocab: prepared.config.vocab },
  };
  const speeds = (): Speeds => new Map(contexts.map((context) => [context, []]));
  const llama = { name: 'llama.cpp', run: () => measureLlamaCpp(target, gguf), speeds: speeds() };
  const owms = [
    { name: 'owm', run: () => measureOwmApi(target), speeds: speeds() },
    ...(reblock ? [{ name: `owm --reblock ${reblock}`, run: () => measureOwmApi(target, reblock), speeds: speeds() }] : []),
  ];
  const peers = [...owms, llama];
  for (let round = 0; round < rounds; round++) {
    // ABBA: each engine goes first in every other round.
    for (const peer of round % 2 === 0 ? peers : [...peers].reverse()) {
      log(`${model.id}: round ${round + 1}/${rounds}, ${peer.name}`);
      record(peer.speeds, await peer.run());
    }
  }
  const cell = ({ median, min, max }: Spread): string => `${median.toFixed(1)} (${min.toFixed(1)}–${max.toFixed(1)})`;
  const lines = [
    `### ${model.label}`,
    '',
    `| context | ${peers.map((peer) => `${peer.name} decode tok/s (median, range)`).join(' | ')} | ${owms.map((peer) => `${peer.name} ÷ llama.cpp (medians) | per round`).join(' | ')} |`,
    `| --- | ${peers.map(() => '---').join(' | ')} | ${owms.map(() => '--- | ---').join(' | ')} |`,
  ];
  for (const context of contexts) {
    const b = llama.speeds.get(context) ?? [];
    const ratios = owms.map((peer) => {
      const a = peer.speeds.get(context) ?? [];
      const perRound = spread(a.map((speed, i) => speed / (b[i] as number)));
      return `${(spread(a).median / spread(b).median).toFixed(2)}× | ${perRound.min.toFixed(2)}–${perRound.max.toFixed(2)}×`;
    });
    lines.push(`| ${context} | ${peers.map((peer) => cell(spread(peer.speeds.get(context) ?? []))).join(' | ')} | ${ratios.join(' | ')} |`);
  }
  return [...lines, ''];
}

const started = performance.now();
const sections: string[] = [];
for (const model of models as BenchModel[]) sections.push(...(await compare(model)));
const minutes = (performance.now() - started) / 60000;
const header = [
  `## owm against llama.cpp, head to head (${new Date().toISOString().slice(0, 10)})`,
  '',
  `${rounds} alternating rounds (ABBA: the engines' order reversed every other round), each a fresh process per engine: the prompt, then ${GEN_TOKENS} greedy tokens (end-of-sequence ignored), ${physicalCores()} threads; decode tok/s = (tokens − 1) / time from the first to the last token. owm: its in-process API with its default load-time rewrite${reblock ? ` (and, as a third engine, with --reblock ${reblock})` : ''}; llama.cpp: node-llama-cpp on a Q4_0 GGUF of the same weights. Wall time ${minutes.toFixed(1)} min.`,
  '',
];
const markdown = [...header, ...sections].join('\n');
if (values.out) {
  mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
  writeFileSync(values.out, markdown);
}
process.stdout.write(markdown);
