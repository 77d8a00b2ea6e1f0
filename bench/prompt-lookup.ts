import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as ConfigModule from '../src/config.js';
import type * as CreateSessionModule from '../src/runtime/create-session.js';
import type * as FeedPromptModule from '../src/runtime/feed-prompt.js';
import type * as GraphSignatureModule from '../src/runtime/graph-signature.js';
import type * as KvDecoderModule from '../src/runtime/kv-decoder.js';
import type { GenerationStats } from '../src/runtime/generate-text.js';
import type * as LocalModelModule from '../src/runtime/local-model.js';
import { benchmarkPromptIds, spread } from '../src/runtime/measure-speed.js';
import { physicalCores } from '../src/runtime/physical-cores.js';
import { BATCHING_MODEL, QUOTING_MODEL, type BenchModel } from './bench-models.js';
import { importDist } from './peers/dist-module.js';
import { prepareModel } from './prepare-model.js';

// `npm run bench:prompt-lookup [-- --tokens 128] [--rounds 3]`: greedy decoding with and without
// prompt lookup, alternating in one process, on two workloads of the Llama-3.2-1B shape:
// - quote: the answer repeats its prompt. The prompt is the quoting model's own greedy chain
//   (QUOTING_MODEL), then its first three tokens again, so the answer goes on quoting it: the most
//   a model copying its input can gain (summaries, edits of a text or code quote less of it);
// - edit: the same, but every EDIT_EVERY-th token of the quoted chain is changed, so the answer
//   parts from the prompt there and joins it again two tokens later: drafts across a change are
//   rejected, as where an answer edits what it quotes;
// - fresh: the random model of the other tables, after a prompt it does not repeat, so drafts are
//   almost never found: what prompt lookup costs where it cannot help.
const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
process.env.OWM_HOME = path.join(BENCH_DIR, '.cache', 'owm-home');
const { values } = parseArgs({ options: { tokens: { type: 'string', default: '128' }, rounds: { type: 'string', default: '3' } } });
const tokens = Number(values.tokens);
const rounds = Number(values.rounds);
const PROMPT_TOKENS = 256;
const EDIT_EVERY = 16;
const GREEDY = { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

const { LocalModel } = await importDist<typeof LocalModelModule>('runtime/local-model.js');
const { resolvePaths } = await importDist<typeof ConfigModule>('config.js');
const { createSession } = await importDist<typeof CreateSessionModule>('runtime/create-session.js');
const { readGraphSignature } = await importDist<typeof GraphSignatureModule>('runtime/graph-signature.js');
const { KvDecoder } = await importDist<typeof KvDecoderModule>('runtime/kv-decoder.js');
const { feedPrompt } = await importDist<typeof FeedPromptModule>('runtime/feed-prompt.js');
const settings = { device: 'cpu' as const, threads: physicalCores(), optimize: { cacheDir: resolvePaths().optimizedCache, exact: false } };

interface WorkloadResult {
  workload: string;
  /** The graph owm loaded, and its vocabulary. */
  modelPath: string;
  vocab: number;
  off: number[];
  on: number[];
  drafted: number;
  accepted: number;
  sameTokens: boolean;
}

/** Greedy statistics of `count` tokens after `ids`, prompt lookup off. */
type Generate = (ids: number[], count: number) => Promise<GenerationStats>;

async function measure(workload: string, model: BenchModel, prompt: (generate: Generate, vocab: number) => Promise<number[]>): Promise<WorkloadResult> {
  const prepared = prepareModel(model, path.join(BENCH_DIR, '.cache', 'models'));
  if (prepared.writeSeconds > 0) log(`${model.id}: written in ${prepared.writeSeconds.toFixed(1)} s`);
  const loaded = await LocalModel.load({ dir: prepared.dir, modelFile: prepared.modelFile }, settings);
  try {
    const run = async (promptIds: number[], count: number, promptLookup: boolean): Promise<GenerationStats> => {
      const generation = loaded.generate({ promptIds, sampling: GREEDY, maxTokens: count, stop: [], think: 'show', ignoreEos: true, freshCache: true, promptLookup });
      for await (const piece of generation) void piece;
      return generation.stats;
    };
    const promptIds = await prompt((ids, count) => run(ids, count, false), prepared.config.vocab);
    const result: WorkloadResult = { workload, modelPath: loaded.info.modelPath, vocab: prepared.config.vocab, off: [], on: [], drafted: 0, accepted: 0, sameTokens: true };
    let reference: number[] | undefined;
    for (let round = 0; round < rounds; round++) {
      for (const lookup of round % 2 === 0 ? [false, true] : [true, false]) {
        const stats = await run(promptIds, tokens, lookup);
        (lookup ? result.on : result.off).push(stats.decodeTokensPerSecond);
        if (lookup) {
          result.drafted += stats.draftedTokens ?? 0;
          result.accepted += stats.acceptedDrafts ?? 0;
        }
        reference ??= stats.tokenIds;
        result.sameTokens &&= JSON.stringify(stats.tokenIds) === JSON.stringify(reference);
        log(`${workload}, round ${round + 1}/${rounds}, prompt lookup ${lookup ? 'on' : 'off'}: decode ${stats.decodeTokensPerSecond.toFixed(1)} tok/s${lookup ? `, ${stats.acceptedDrafts ?? 0} of ${stats.draftedTokens ?? 0} drafts accepted` : ''}`);
      }
    }
    return result;
  } finally {
    await loaded.dispose();
  }
}

/** The quoting model's greedy chain, then its first three tokens again; `edit` changes some of the chain's tokens first. */
const quotePrompt = (edit: (chain: number[]) => number[]) => async (generate: Generate, vocab: number): Promise<number[]> => {
  const chain = edit((await generate(benchmarkPromptIds(3, vocab), PROMPT_TOKENS)).tokenIds);
  return [...chain, ...chain.slice(0, 3)];
};
const results = [
  await measure('quote', QUOTING_MODEL, quotePrompt((chain) => chain)),
  await measure('edit', QUOTING_MODEL, quotePrompt((chain) => chain.map((id, i) => (i % EDIT_EVERY === EDIT_EVERY - 1 ? (id + 1) % 1000 : id)))),
  await measure('fresh', BATCHING_MODEL, async (_, vocab) => benchmarkPromptIds(PROMPT_TOKENS, vocab)),
];

/** Median milliseconds of one pass feeding each count of tokens after PROMPT_TOKENS, rewound after each: what checking drafts costs. */
async function passCosts(modelPath: string, vocab: number, counts: number[]): Promise<Map<number, number>> {
  const { session } = await createSession(modelPath, settings);
  try {
    const decoder = new KvDecoder(session, readGraphSignature(session, modelPath));
    const prompt = benchmarkPromptIds(PROMPT_TOKENS, vocab);
    await feedPrompt(decoder, prompt);
    const times = new Map<number, number[]>(counts.map((count) => [count, []]));
    for (let round = 0; round < 2 * rounds + 2; round++) {
      for (const count of counts) {
        const started = performance.now();
        await decoder.forwardEach(prompt.slice(0, count));
        times.get(count)?.push(performance.now() - started);
        decoder.rewind(PROMPT_TOKENS);
      }
    }
    return new Map(counts.map((count) => [count, spread(times.get(count) ?? []).median]));
  } finally {
    await session.release();
  }
}

const PASS_SIZES = [1, 2, 3, 5, 8, 11];
const fresh = results.find((r) => r.workload === 'fresh') as WorkloadResult;
const costs = await passCosts(fresh.modelPath, fresh.vocab, PASS_SIZES);

const rate = (values: number[]): string => `${spread(values).median.toFixed(1)}`;
const lines = [
  '## Prompt-lookup decoding',
  '',
  `${BATCHING_MODEL.label}, greedy, ${tokens} tokens after a ${PROMPT_TOKENS}-token prompt, ${settings.threads} threads, medians of ${rounds} alternating runs (\`npm run bench:prompt-lookup\`).`,
  '',
  '| workload | decode off tok/s | decode on tok/s | on ÷ off | drafts accepted | same tokens |',
  '| --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.workload} | ${rate(r.off)} | ${rate(r.on)} | ${(spread(r.on).median / spread(r.off).median).toFixed(2)}× | ${r.accepted} of ${r.drafted} | ${r.sameTokens ? 'yes' : 'NO'} |`),
  '',
  'One pass by tokens fed (a token and its drafts) after the same prompt, median ms: what a check costs.',
  '',
  `| tokens fed | ${PASS_SIZES.join(' | ')} |`,
  `| --- | ${PASS_SIZES.map(() => '---').join(' | ')} |`,
  `| ms | ${PASS_SIZES.map((count) => (costs.get(count) ?? 0).toFixed(1)).join(' | ')} |`,
  `| ÷ one token | ${PASS_SIZES.map((count) => ((costs.get(count) ?? 0) / (costs.get(1) ?? 1)).toFixed(2)).join(' | ')} |`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
