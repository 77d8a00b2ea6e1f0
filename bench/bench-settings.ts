import { BENCH_MODELS, QUICK_MODEL_IDS, type BenchModel } from './bench-models.js';
import type { PeerId } from './peers/peer-target.js';
import type { MeasurePlan } from './peers/peer-protocol.js';
import type { ServeLoadPlan } from './serve-load.js';

/** Everything a run measures and how often. */
export interface BenchSettings {
  set: 'quick' | 'full';
  models: BenchModel[];
  threads: number;
  /** Tokens decoded after every prompt. */
  genTokens: number;
  /** Repetitions of prompts up to `prefillPrompt` tokens, and of longer ones (slow to prefill). */
  shortReps: number;
  longReps: number;
  /** Prompt of the warm time to first token. */
  ttftPrompt: number;
  /** Prompt of the prefill speed. */
  prefillPrompt: number;
  /** Contexts of the table's decode columns. */
  tableContexts: number[];
  /** Contexts of the decode-vs-context chart (owm API, transformers.js and the floor run them all). */
  chartContexts: number[];
  /** Fresh processes per cold time to first token. */
  coldReps: number;
  coldPrompt: string;
  /** Repetitions of a chat's second turn, timed with the conversation's cache reused and not. */
  chatTurnReps: number;
  /** Size of the file `owm pull` and `curl` download, 0 to skip. */
  downloadBytes: number;
  downloadReps: number;
  /** The bounded load test of `owm serve` on the set's first model; null skips it. */
  serveLoad: ServeLoadPlan | null;
  /** Runs of each kind (free, with a schema) in the constrained-decoding comparison; 0 skips it. */
  constrainedReps: number;
  /** Tokens per stream of the batched-decoding line (Llama-3.2-1B q4, 1 to 8 streams); 0 skips it. */
  batchingTokens: number;
  /** Interleaved runs of each embeddings measurement; 0 skips it. */
  embeddingsReps: number;
}

/** What a run needs to know besides the set. */
export interface SettingsRequest {
  quick: boolean;
  threads: number;
  only: string[];
  reps?: number;
  skipDownload: boolean;
  /** Leave out everything but the models' own measurements. */
  modelsOnly?: boolean;
}

/** A raw prompt of a few dozen tokens in either tokenizer. */
const COLD_PROMPT = 'The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly and a sphinx of black quartz judges my vow.';

/** The quick or full set's settings; `only` picks models by id (of either set). */
export function benchSettings(request: SettingsRequest): BenchSettings {
  const unknown = request.only.filter((id) => !BENCH_MODELS.some((model) => model.id === id));
  if (unknown.length > 0) throw new Error(`unknown model ${unknown.join(', ')}: choose among ${BENCH_MODELS.map((model) => model.id).join(', ')}`);
  const ids = request.only.length > 0 ? request.only : request.quick ? QUICK_MODEL_IDS : BENCH_MODELS.map((model) => model.id);
  const models = BENCH_MODELS.filter((model) => ids.includes(model.id));
  const common = { models, threads: request.threads, genTokens: 32, ttftPrompt: 32, prefillPrompt: 512, tableContexts: [128, 2048], coldPrompt: COLD_PROMPT };
  const settings: BenchSettings = request.quick
    ? {
        ...common,
        set: 'quick',
        shortReps: 2,
        longReps: 2,
        chartContexts: [128, 512, 2048],
        coldReps: 2,
        chatTurnReps: 1,
        downloadBytes: 256e6,
        downloadReps: 1,
        serveLoad: { clients: [1, 4], requestsPerClient: 4, maxTokens: 32, parallel: 4, roundSeconds: 120 },
        constrainedReps: 3,
        batchingTokens: 0,
        embeddingsReps: 3,
      }
    : {
        ...common,
        set: 'full',
        // Two repetitions, one of long prompts: with the 7B shape added, three and two took 51 minutes on 2026-12-02.
        shortReps: 2,
        longReps: 1,
        // 4,096 left out and the floor off the chart: the full run took 36 minutes with them on 2026-12-02.
        chartContexts: [128, 512, 1024, 2048],
        coldReps: 2,
        chatTurnReps: 1,
        downloadBytes: 1e9,
        downloadReps: 2,
        serveLoad: { clients: [1, 4, 8], requestsPerClient: 4, maxTokens: 64, parallel: 4, roundSeconds: 300 },
        constrainedReps: 5,
        batchingTokens: 32,
        embeddingsReps: 7,
      };
  if (request.reps !== undefined) {
    const reps = request.reps;
    Object.assign(settings, { shortReps: reps, longReps: reps, coldReps: reps, chatTurnReps: reps, downloadReps: reps });
  }
  if (request.skipDownload) settings.downloadBytes = 0;
  if (request.modelsOnly) Object.assign(settings, { downloadBytes: 0, serveLoad: null, constrainedReps: 0, batchingTokens: 0, embeddingsReps: 0 });
  return settings;
}

/** The run's settings as `model` runs them, narrowed by its own plan: repetitions capped, contexts replaced. */
export function modelSettings(settings: BenchSettings, model: BenchModel): BenchSettings {
  const plan = model.plan;
  if (!plan) return settings;
  const cap = (run: number, own: number | undefined): number => Math.min(run, own ?? run);
  return {
    ...settings,
    shortReps: cap(settings.shortReps, plan.shortReps),
    longReps: cap(settings.longReps, plan.longReps),
    coldReps: cap(settings.coldReps, plan.coldReps),
    chatTurnReps: cap(settings.chatTurnReps, plan.chatTurnReps),
    tableContexts: plan.tableContexts ?? settings.tableContexts,
    chartContexts: plan.chartContexts ?? settings.chartContexts,
  };
}

/** Why `model` leaves `peer` out, or undefined when it runs it. */
export function leftOutReason(model: BenchModel, peer: PeerId): string | undefined {
  return model.plan?.leaveOut?.[peer];
}

/** The plan of the table's columns (warm TTFT, prefill, decode at the table's contexts). */
export function tablePlan(settings: BenchSettings, vocab: number): MeasurePlan {
  return plan(settings, vocab, [settings.ttftPrompt, settings.prefillPrompt, ...settings.tableContexts]);
}

/**
 * The chart's contexts the table's plan does not run, measured in a second process so that every
 * peer's peak RSS comes from the same table plan; empty when the table covers the chart.
 */
export function chartOnlyPlan(settings: BenchSettings, vocab: number): MeasurePlan {
  const table = tablePlan(settings, vocab).runs.map((run) => run.promptLength);
  return plan(settings, vocab, settings.chartContexts.filter((context) => !table.includes(context)));
}

function plan(settings: BenchSettings, vocab: number, lengths: number[]): MeasurePlan {
  const unique = [...new Set(lengths)].sort((a, b) => a - b);
  return {
    runs: unique.map((promptLength) => ({ promptLength, reps: promptLength <= settings.prefillPrompt ? settings.shortReps : settings.longReps })),
    genTokens: settings.genTokens,
    vocab,
  };
}
