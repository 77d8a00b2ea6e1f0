import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { physicalCores } from '../src/runtime/physical-cores.js';
import { BENCH_USAGE, parseBenchArgs } from './bench-args.js';
import { BATCHING_MODEL, BENCH_MODELS, type AppliedPlan, type BenchModel } from './bench-models.js';
import { BATCHING_STREAMS, measureBatchedDecoding } from './batched-decoding.js';
import type { BenchResults, ModelResult } from './bench-results.js';
import { benchSettings, chartOnlyPlan, leftOutReason, modelSettings, tablePlan, type BenchSettings } from './bench-settings.js';
import { decodeVsContextSvg } from './chart-svg.js';
import { measureDownloadThroughput } from './download-throughput.js';
import { measureEmbeddings } from './embeddings/measure-embeddings.js';
import { machineInfo } from './machine-info.js';
import { measureMemoryBandwidth } from './memory-bandwidth.js';
import { measureFloor } from './peers/floor.js';
import { measureLlamaCpp } from './peers/llama-cpp.js';
import { measureOwmApi } from './peers/owm-api.js';
import { measureOwmCli } from './peers/owm-cli.js';
import { mergeChartRuns, notApplicable, type PeerId, type PeerReport, type PeerTarget } from './peers/peer-target.js';
import { measureTransformersJs } from './peers/transformers-js.js';
import { prepareGguf } from './prepare-gguf.js';
import { prepareModel } from './prepare-model.js';
import { reportMarkdown } from './report-markdown.js';
import { measureServeLoad } from './serve-load.js';
import { measureConstrainedDecoding } from './constrained-decoding.js';
import { kvBytesPerContextToken, weightTraffic } from './roofline.js';

// `npm run bench [-- --quick] [--threads N] [--only MODEL] [--reps N] [--out DIR] [--skip-download] [--models-only]`:
// measures owm against transformers.js, a bare ONNX Runtime loop, the memory roofline and
// llama.cpp on synthetic models; progress on stderr, the markdown table on stdout at the end.
const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.dirname(BENCH_DIR);
const MODELS_CACHE = path.join(BENCH_DIR, '.cache', 'models');
// owm's own folders (optimized graphs, state) for every owm the benchmark starts: the user's stay untouched.
const OWM_HOME = path.join(BENCH_DIR, '.cache', 'owm-home');

const CONSTRAINED_MODEL_ID = 'qwen2.5-0.5b-q4';

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<number> {
  let settings: BenchSettings;
  let outDir: string;
  try {
    const args = parseBenchArgs(process.argv.slice(2));
    if (args.help) {
      process.stdout.write(`${BENCH_USAGE}\n`);
      return 0;
    }
    settings = benchSettings({ ...args, threads: args.threads ?? physicalCores() });
    outDir = path.resolve(args.out ?? path.join(BENCH_DIR, 'results'));
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n${BENCH_USAGE}\n`);
    return 2;
  }

  process.env.OWM_HOME = OWM_HOME;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  log(`${settings.set} set: ${settings.models.map((model) => model.id).join(', ')}; ${settings.threads} threads; ${machine.cpu}, load average ${machine.loadAverage.toFixed(2)}`);
  const results: BenchResults = {
    set: settings.set,
    startedAt,
    wallSeconds: 0,
    machine,
    settings: { ...settings, models: settings.models.map((model) => model.id) },
    models: [],
  };

  log('measuring memory read bandwidth');
  try {
    results.memoryBandwidth = await measureMemoryBandwidth({ threads: settings.threads });
    log(`memory read bandwidth: ${(results.memoryBandwidth.maxBytesPerSecond / 1e9).toFixed(1)} GB/s best`);
  } catch (error) {
    results.memoryBandwidthError = error instanceof Error ? error.message : String(error);
  }

  for (const model of settings.models) {
    try {
      results.models.push(await benchModel(model, settings));
    } catch (error) {
      // A model that fails (one too large to write here) leaves the others' figures standing.
      const reason = error instanceof Error ? error.message : String(error);
      log(`${model.id}: not measured: ${reason}`);
      results.unmeasuredModels = [...(results.unmeasuredModels ?? []), { id: model.id, label: model.label, reason }];
    }
  }

  if (settings.downloadBytes > 0) {
    log(`download: owm pull against curl, ${Math.round(settings.downloadBytes / 1e6)} MB`);
    try {
      results.download = await measureDownloadThroughput({ fileBytes: settings.downloadBytes, reps: settings.downloadReps, log });
    } catch (error) {
      results.downloadError = error instanceof Error ? error.message : String(error);
    }
  }

  const loadModel = settings.models[0];
  if (loadModel && settings.serveLoad) {
    log(`serve load: owm serve on ${loadModel.id}`);
    try {
      const prepared = prepareModel(loadModel, MODELS_CACHE);
      results.serveLoad = await measureServeLoad({ modelDir: prepared.dir, threads: settings.threads, plan: settings.serveLoad, env: process.env, log });
    } catch (error) {
      results.serveLoadError = error instanceof Error ? error.message : String(error);
    }
  }

  if (settings.constrainedReps > 0) {
    // A 150k vocabulary, as the grammar's cost grows with it: the Qwen 2.5 tokenizer's model.
    const model = BENCH_MODELS.find((candidate) => candidate.id === CONSTRAINED_MODEL_ID) as BenchModel;
    log(`constrained decoding: ${model.id} with and without a JSON Schema`);
    try {
      const prepared = prepareModel(model, MODELS_CACHE);
      results.constrained = await measureConstrainedDecoding({ modelDir: prepared.dir, modelFile: prepared.modelFile, label: model.label, threads: settings.threads, reps: settings.constrainedReps });
    } catch (error) {
      results.constrainedError = error instanceof Error ? error.message : String(error);
    }
  }

  if (settings.batchingTokens > 0) {
    log(`batched decoding: ${BATCHING_MODEL.id}, ${BATCHING_STREAMS.join(', ')} streams, batched and in turn`);
    try {
      const prepared = prepareModel(BATCHING_MODEL, MODELS_CACHE);
      results.batching = await measureBatchedDecoding({ prepared, threads: settings.threads, tokens: settings.batchingTokens, log });
    } catch (error) {
      results.batchingError = error instanceof Error ? error.message : String(error);
    }
  }

  if (settings.embeddingsReps > 0) {
    log('embeddings: owm against transformers.js on an all-MiniLM-L6-v2-shaped encoder');
    try {
      results.embeddings = await measureEmbeddings(MODELS_CACHE, { batches: [1, 8, 64], reps: settings.embeddingsReps, threads: settings.threads }, log);
    } catch (error) {
      results.embeddingsError = error instanceof Error ? error.message : String(error);
    }
  }

  results.wallSeconds = (performance.now() - started) / 1000;
  const markdown = reportMarkdown(results);
  writeOutputs(outDir, results, markdown);
  log(`done in ${results.wallSeconds.toFixed(0)} s; results in ${path.relative(process.cwd(), outDir) || '.'}`);
  process.stdout.write(markdown);
  return 0;
}

async function benchModel(model: BenchModel, runSettings: BenchSettings): Promise<ModelResult> {
  const settings = modelSettings(runSettings, model);
  log(`${model.id}: preparing the synthetic model`);
  const prepared = prepareModel(model, MODELS_CACHE);
  if (prepared.writeSeconds > 0) log(`${model.id}: written in ${prepared.writeSeconds.toFixed(1)} s`);
  const gguf = await prepareGguf(prepared);
  const vocab = prepared.config.vocab;
  const base = { prepared, threads: settings.threads, coldReps: settings.coldReps, coldPrompt: settings.coldPrompt };
  const table: PeerTarget = { ...base, plan: tablePlan(settings, vocab) };
  const extra = chartOnlyPlan(settings, vocab);
  const chartOnly: PeerTarget = { ...base, coldReps: 0, plan: extra };
  const original = path.join(prepared.dir, prepared.modelFile);

  const peers: PeerReport[] = [];
  // Peers on the chart also decode at the chart's other contexts, in a second process.
  const step = async (name: string, id: PeerId, measure: (target: PeerTarget) => Promise<PeerReport>, onChart: boolean): Promise<PeerReport> => {
    const leftOut = leftOutReason(model, id);
    if (leftOut) {
      log(`${model.id}: ${name}: ${leftOut}`);
      const report = notApplicable(id, leftOut);
      peers.push(report);
      return report;
    }
    log(`${model.id}: ${name}`);
    const report = await measure(table);
    if (onChart && report.measurement && extra.runs.length > 0) {
      log(`${model.id}: ${name}, chart contexts ${extra.runs.map((run) => run.promptLength).join(', ')}`);
      mergeChartRuns(report, await measure(chartOnly));
    }
    log(`${model.id}: ${name}: ${report.measurement ? 'done' : report.reason} (${report.wallSeconds.toFixed(0)} s)`);
    peers.push(report);
    return report;
  };
  const api = await step('owm in-process API', 'owm-api', measureOwmApi, true);
  if (settings.chatTurnReps > 0 && api.measurement) {
    // In a process of its own, so that the table's peak RSS stays that of its prompts alone.
    log(`${model.id}: owm in-process API, a chat's second turn`);
    const chat = await measureOwmApi({ ...base, coldReps: 0, plan: { runs: [], genTokens: settings.genTokens, vocab }, chatTurnReps: settings.chatTurnReps });
    api.measurement.chatTurn = chat.measurement?.chatTurn;
    if (!chat.measurement) log(`${model.id}: chat turn not measured: ${chat.reason}`);
  }
  await step('owm CLI', 'owm-cli', (target) => measureOwmCli(target, model.plan?.cliColdStartOnly), false);
  // The floor runs the graph owm really loaded, which the load-time optimizer may have rewritten.
  const loaded = api.measurement?.extra?.modelPath;
  const graph = loaded && existsSync(loaded) ? loaded : original;
  await step('floor', 'floor', (target) => measureFloor(target, graph), false);
  await step('transformers.js', 'transformers-js', measureTransformersJs, true);
  await step('llama.cpp', 'llama-cpp', (target) => measureLlamaCpp(target, gguf), false);
  return {
    id: model.id,
    label: model.label,
    config: prepared.config,
    graph: path.relative(REPO_ROOT, graph),
    optimization: api.measurement?.extra?.optimization,
    weights: weightTraffic(graph),
    kvBytesPerContextToken: kvBytesPerContextToken(prepared.config),
    peers,
    ...(model.plan ? { plan: appliedPlan(settings) } : {}),
  };
}

function appliedPlan(settings: BenchSettings): AppliedPlan {
  const { shortReps, longReps, coldReps, chatTurnReps, tableContexts, chartContexts } = settings;
  return { shortReps, longReps, coldReps, chatTurnReps, tableContexts, chartContexts };
}

function writeOutputs(outDir: string, results: BenchResults, markdown: string): void {
  mkdirSync(outDir, { recursive: true });
  const stem = `${results.startedAt.slice(0, 10)}-${results.set}`;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const svg = decodeVsContextSvg(results);
  for (const [name, content] of [
    [`${stem}.md`, markdown],
    [`${stem}.json`, json],
    [`${stem}-decode-vs-context.svg`, svg],
  ]) {
    writeFileSync(path.join(outDir, name), content);
  }
}

process.exitCode = await main();
