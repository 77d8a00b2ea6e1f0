import { formatBytes } from '../src/format-bytes.js';
import { commonPrefixLength } from '../src/runtime/common-prefix-length.js';
import type { BenchResults, ModelResult } from './bench-results.js';
import type { PeerId, PeerReport } from './peers/peer-target.js';
import type { RunResult } from './peers/peer-protocol.js';
import { rooflineTokensPerSecond } from './roofline.js';
import { embeddingsMarkdown } from './embeddings/embeddings-markdown.js';

const PEER_NAMES: Record<PeerId, string> = {
  'owm-cli': 'owm (CLI, fresh process)',
  'owm-api': 'owm (in-process API)',
  'transformers-js': 'transformers.js',
  floor: 'floor (bare ORT loop)',
  'llama-cpp': 'llama.cpp',
};
const NA = 'n/a';

/** The run as markdown: machine, method, one table and one ratio table per model, the download. */
export function reportMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  const lines = [
    `# owm benchmark: ${results.set} set, ${results.startedAt.slice(0, 10)}`,
    '',
    `- Machine: ${machine.cpu}, ${machine.physicalCores} physical cores (${machine.logicalCores} logical), ${formatBytes(machine.memoryBytes)} memory; ${machine.os}; load average ${machine.loadAverage.toFixed(2)} at start`,
    `- Software: Node ${machine.node}, onnxruntime-node ${machine.onnxruntime}, transformers.js ${machine.transformersJs}, node-llama-cpp ${machine.nodeLlamaCpp}`,
    `- Threads: ${settings.threads} for every peer; wall time ${formatSeconds(results.wallSeconds)}`,
    `- Memory read bandwidth: ${bandwidthLine(results)}`,
    `- Method: synthetic models (real shapes, random weights); greedy, end-of-sequence ignored, the same prompt token ids for every peer; ` +
      `${settings.genTokens} tokens decoded after each prompt; medians of ${settings.shortReps} runs (prompts up to ${settings.prefillPrompt} tokens) and ${settings.longReps} (longer; ${settings.shortReps} for owm CLI and llama.cpp, whose runners take one count), after one warm-up. ` +
      `TTFT warm: ${settings.ttftPrompt}-token prompt, model loaded; TTFT cold: spawn to first byte on stdout of a one-token answer, median of ${settings.coldReps} fresh processes; ` +
      `prefill = prompt tokens / TTFT at ${settings.prefillPrompt}; decode@N = (tokens − 1) / time from first to last token after an N-token prompt; ` +
      `peak RSS = maxRSS of the peer's own process running the table's prompts (chart-only contexts run in a second process). Roofline = bandwidth / (weight bytes read per token + KV bytes at that context).`,
    '',
  ];
  for (const model of results.models) lines.push(...modelSection(results, model));
  for (const model of results.unmeasuredModels ?? []) lines.push(`## ${model.label}`, '', `Not measured: ${model.reason}`, '');
  lines.push(...downloadSection(results));
  lines.push(...serveLoadSection(results));
  lines.push(...constrainedSection(results));
  lines.push(...batchedDecodingSection(results));
  lines.push(...embeddingsSection(results));
  return `${lines.join('\n')}\n`;
}

function modelSection(results: BenchResults, model: ModelResult): string[] {
  const { settings } = results;
  const { config } = model;
  const [short, long] = settings.tableContexts;
  const header = ['peer', 'TTFT warm ms', 'TTFT cold ms', `prefill@${settings.prefillPrompt} tok/s`, `decode@${short} tok/s`, `decode@${long} tok/s`, 'peak RSS', 'load ms'];
  const rows = model.peers.map((peer) => {
    const runs = peer.measurement?.runs ?? [];
    const at = (length: number): RunResult | undefined => runs.find((run) => run.promptLength === length);
    return [
      PEER_NAMES[peer.peer],
      ms(at(settings.ttftPrompt)?.ttftMs.median),
      ms(peer.coldTtftMs?.median),
      rate(at(settings.prefillPrompt)?.prefillTokensPerSecond.median),
      rate(at(short)?.decodeTokensPerSecond.median),
      rate(at(long)?.decodeTokensPerSecond.median),
      peer.measurement ? formatBytes(peer.measurement.peakRssBytes) : NA,
      ms(peer.measurement?.loadMs),
    ];
  });
  rows.push(['roofline', NA, NA, NA, rate(roofline(results, model, short)), rate(roofline(results, model, long)), NA, NA]);

  const lines = [
    `## ${model.label}`,
    '',
    `${config.layers} layers, hidden ${config.hidden}, ${config.heads} heads (${config.kvHeads} KV), intermediate ${config.intermediate}, vocabulary ${config.vocab}. ` +
      `Weights read per token: ${formatBytes(model.weights.bytesPerToken)} (plus ${formatBytes(model.weights.indexedBytes)} only indexed by row); KV cache: ${formatBytes(model.kvBytesPerContextToken)} per context token.`,
    '',
    ...ownPlan(model),
    ...markdownTable(header, rows),
    '',
    'Speed ratios, owm ÷ peer (above 1: owm is faster; owm = the in-process API warm, the CLI cold):',
    '',
    ...markdownTable(['owm vs', 'TTFT warm', 'TTFT cold', `prefill@${settings.prefillPrompt}`, `decode@${short}`, `decode@${long}`], ratioRows(results, model)),
    '',
    ...decodeVsContext(results, model),
    ...chatTurn(model),
    ...footnotes(model),
  ];
  return lines;
}

/** The model's own, smaller plan, where it has one. */
function ownPlan(model: ModelResult): string[] {
  const { plan } = model;
  if (!plan) return [];
  return [
    `A plan of its own, to keep the full run within its time: medians of ${plan.shortReps} runs (short prompts) and ${plan.longReps} (longer), ` +
      `cold start over ${plan.coldReps} fresh processes, decode at ${plan.tableContexts.join(' and ')} tokens of context` +
      `${plan.chartContexts.length === 0 ? ', no chart-only contexts' : ''}${plan.chatTurnReps === 0 ? ', no chat turn' : ''}.`,
    '',
  ];
}

function ratioRows(results: BenchResults, model: ModelResult): string[][] {
  const { settings } = results;
  const [short, long] = settings.tableContexts;
  const owm = peer(model, 'owm-api');
  const owmCli = peer(model, 'owm-cli');
  const rows: string[][] = [];
  for (const id of ['transformers-js', 'floor', 'llama-cpp'] as const) {
    const other = peer(model, id);
    rows.push([
      PEER_NAMES[id],
      ratio(runAt(other, settings.ttftPrompt)?.ttftMs.median, runAt(owm, settings.ttftPrompt)?.ttftMs.median),
      ratio(other?.coldTtftMs?.median, owmCli?.coldTtftMs?.median),
      ratio(runAt(owm, settings.prefillPrompt)?.prefillTokensPerSecond.median, runAt(other, settings.prefillPrompt)?.prefillTokensPerSecond.median),
      ratio(runAt(owm, short)?.decodeTokensPerSecond.median, runAt(other, short)?.decodeTokensPerSecond.median),
      ratio(runAt(owm, long)?.decodeTokensPerSecond.median, runAt(other, long)?.decodeTokensPerSecond.median),
    ]);
  }
  rows.push([
    'roofline',
    NA,
    NA,
    NA,
    ratio(runAt(owm, short)?.decodeTokensPerSecond.median, roofline(results, model, short)),
    ratio(runAt(owm, long)?.decodeTokensPerSecond.median, roofline(results, model, long)),
  ]);
  return rows;
}

function decodeVsContext(results: BenchResults, model: ModelResult): string[] {
  const ids = ['owm-api', 'transformers-js', 'floor'] as const;
  const contexts = (model.plan ?? results.settings).chartContexts;
  if (contexts.length === 0) return [];
  const rows = contexts.map((context) => [
    String(context),
    ...ids.map((id) => rate(runAt(peer(model, id), context)?.decodeTokensPerSecond.median)),
    rate(roofline(results, model, context)),
  ]);
  return ['Decode tok/s by context (prompt length before decoding):', '', ...markdownTable(['context', ...ids.map((id) => PEER_NAMES[id]), 'roofline'], rows), ''];
}

/** owm's chat: the second turn's wait with the conversation's cache reused, against prefilling it again. */
function chatTurn(model: ModelResult): string[] {
  const turn = peer(model, 'owm-api')?.measurement?.chatTurn;
  if (!turn) return [];
  const [reuse, fresh] = [turn.reuseTtftMs.median, turn.freshTtftMs.median];
  return [
    `Chat (owm API): the second turn of a ${turn.conversationTokens}-token conversation starts answering after ${ms(reuse)} ms ` +
      `with the conversation's cache reused (${turn.reusedTokens} tokens), against ${ms(fresh)} ms prefilling it all again (${ratio(fresh, reuse)} sooner).`,
    '',
  ];
}

function footnotes(model: ModelResult): string[] {
  const lines: string[] = [];
  for (const report of model.peers) {
    if (report.reason) lines.push(`- ${PEER_NAMES[report.peer]}: ${report.reason}`);
    if (report.coldReason && report.coldReason !== report.reason) lines.push(`- ${PEER_NAMES[report.peer]} cold start: ${report.coldReason}`);
    if (report.chartReason) lines.push(`- ${PEER_NAMES[report.peer]} chart contexts: ${report.chartReason}`);
  }
  const floorRan = peer(model, 'floor')?.measurement !== undefined;
  lines.push(`- Graph loaded by owm${floorRan ? ' (and run by the floor)' : ''}: ${model.graph}`);
  if (model.optimization) lines.push(`- owm's load-time optimization: ${model.optimization}`);
  const reference = peer(model, 'owm-api')?.measurement?.firstTokens ?? [];
  if (reference.length > 0) {
    const agreement = model.peers
      .filter((report) => report.peer !== 'owm-api' && (report.measurement?.firstTokens.length ?? 0) > 0)
      .map((report) => `${PEER_NAMES[report.peer]} ${commonPrefixLength(reference, report.measurement?.firstTokens ?? [])}/${reference.length}`);
    if (agreement.length > 0) lines.push(`- Greedy tokens equal to owm's (first run, leading tokens): ${agreement.join(', ')}`);
  }
  return [...lines, ''];
}

function downloadSection(results: BenchResults): string[] {
  if (results.downloadError) return ['## Download', '', `Not measured: ${results.downloadError}`, ''];
  const download = results.download;
  if (!download) return [];
  const owm = download.owmBytesPerSecond.median;
  const curl = download.curlBytesPerSecond.median;
  return [
    '## Download',
    '',
    `One ${formatBytes(download.fileBytes)} file from the fake hub on loopback (302 to its CDN), hash check included, median of ${download.reps}:`,
    '',
    ...markdownTable(
      ['client', 'MB/s'],
      [
        ['owm pull (verifies sha256)', (owm / 1e6).toFixed(0)],
        ['curl -L -o + sha256sum', (curl / 1e6).toFixed(0)],
        ['owm ÷ curl', `${(owm / curl).toFixed(2)}×`],
      ],
    ),
    '',
  ];
}

function serveLoadSection(results: BenchResults): string[] {
  if (results.serveLoadError) return ['## Serve under load', '', `Not measured: ${results.serveLoadError}`, ''];
  const load = results.serveLoad;
  if (!load) return [];
  const { plan } = load;
  const single = load.rounds.find((round) => round.clients === 1)?.aggregateTokensPerSecond;
  return [
    '## Serve under load',
    '',
    `\`owm serve --parallel ${plan.parallel}\` on the first model, driven over loopback by the openai client: each client sends ${plan.requestsPerClient} chat completions of ${plan.maxTokens} tokens one after another (temperature 0.7). Server RSS ${formatBytes(load.rssBeforeBytes)} loaded and idle, ${formatBytes(load.rssAfterBytes)} after the last round.`,
    '',
    ...markdownTable(
      ['clients', 'requests', 'errors', 'latency p50 (ms)', 'latency p95 (ms)', 'aggregate tok/s', 'vs 1 client'],
      load.rounds.map((round) => [
        String(round.clients),
        String(round.requests),
        String(round.errors),
        round.latencyMs.median.toFixed(0),
        round.latencyMs.p95.toFixed(0),
        round.aggregateTokensPerSecond.toFixed(1),
        single ? `${(round.aggregateTokensPerSecond / single).toFixed(2)}×` : '',
      ]),
    ),
    '',
  ];
}

/** The batched-decoding table: aggregate tokens/s by concurrent streams, batched and in turn. */
function embeddingsSection(results: BenchResults): string[] {
  if (results.embeddingsError) return ['## Embeddings', '', `Not measured: ${results.embeddingsError}`, ''];
  return results.embeddings ? [embeddingsMarkdown(results.embeddings, results.settings.threads)] : [];
}

export function batchedDecodingSection(results: Pick<BenchResults, 'batching' | 'batchingError'>): string[] {
  if (results.batchingError) return ['## Batched decoding', '', `Not measured: ${results.batchingError}`, ''];
  const run = results.batching;
  if (!run) return [];
  const single = run.lines.find((line) => line.streams === 1);
  const ratio = (value: number, base: number | undefined): string => (base ? `${(value / base).toFixed(2)}×` : '');
  return [
    '## Batched decoding',
    '',
    `${run.model}, loaded with \`--parallel ${run.parallel}\`: n concurrent greedy streams of ${run.tokens} tokens each (EOS ignored, fresh caches), decoded in batches (one forward pass per step for all of them) and, in the same run, one stream's step after another. All in flight: aggregate decode tok/s once every stream decodes (n × the decode speed of the stream whose prompt ran last; the prompts run first, then the streams step together). From each first token: the sum of the streams' own decode speeds, which counts each stream's wait for the prompts after its own. With prompts: all tokens over the wall time from the first request to the last token. \`npm run bench:batching\` measures it alone.`,
    '',
    ...markdownTable(
      ['streams', 'batched, all in flight: tok/s', 'vs 1 stream', 'in turn, all in flight: tok/s', 'vs 1 stream', 'batched ÷ in turn', 'batched from each first token: tok/s (vs 1)', 'with prompts: batched / in turn', 'same tokens'],
      run.lines.map((line) => [
        String(line.streams),
        line.batchedInFlightTokensPerSecond.toFixed(1),
        ratio(line.batchedInFlightTokensPerSecond, single?.batchedInFlightTokensPerSecond),
        line.roundRobinInFlightTokensPerSecond.toFixed(1),
        ratio(line.roundRobinInFlightTokensPerSecond, single?.roundRobinInFlightTokensPerSecond),
        ratio(line.batchedInFlightTokensPerSecond, line.roundRobinInFlightTokensPerSecond),
        `${line.batchedTokensPerSecond.toFixed(1)} (${ratio(line.batchedTokensPerSecond, single?.batchedTokensPerSecond)})`,
        `${line.batchedWallTokensPerSecond.toFixed(1)} / ${line.roundRobinWallTokensPerSecond.toFixed(1)}`,
        line.sameTokens ? 'yes' : 'no',
      ]),
    ),
    '',
  ];
}

function constrainedSection(results: BenchResults): string[] {
  if (results.constrainedError) return ['## Constrained decoding', '', `Not measured: ${results.constrainedError}`, ''];
  const run = results.constrained;
  if (!run) return [];
  return [
    '## Constrained decoding',
    '',
    `${run.model} (vocabulary ${run.vocabSize}), greedy, the same chat prompt: a bounded JSON Schema's answer (${run.tokens} tokens) against the same number of free tokens, ${run.reps} runs of each, alternating. ` +
      `Mask cost: the schema's answer replayed token by token through a fresh constraint (xgrammar's bitmask, then applied to a row of logits). First constrained request compiled in ${run.firstCompileMs.toFixed(0)} ms (tokenizer table once per model, then the schema).`,
    '',
    ...markdownTable(
      ['decode tok/s free', 'decode tok/s with schema', 'ratio', 'mask ms median', 'mask ms p99', 'mask ms max'],
      [[
        run.freeTokensPerSecond.median.toFixed(1),
        run.schemaTokensPerSecond.median.toFixed(1),
        `${run.ratio.toFixed(2)}×`,
        run.maskMs.median.toFixed(3),
        run.maskMs.p99.toFixed(3),
        run.maskMs.max.toFixed(3),
      ]],
    ),
    '',
  ];
}

/** Roofline decode rate at `context` tokens, from the best measured bandwidth. */
function roofline(results: BenchResults, model: ModelResult, context: number): number | undefined {
  const bandwidth = results.memoryBandwidth?.maxBytesPerSecond;
  if (bandwidth === undefined) return undefined;
  return rooflineTokensPerSecond(model.weights.bytesPerToken + model.kvBytesPerContextToken * context, bandwidth);
}

function bandwidthLine(results: BenchResults): string {
  const bandwidth = results.memoryBandwidth;
  if (!bandwidth) return `not measured (${results.memoryBandwidthError ?? 'unknown error'})`;
  return `${(bandwidth.maxBytesPerSecond / 1e9).toFixed(1)} GB/s best, ${(bandwidth.bytesPerSecond / 1e9).toFixed(1)} GB/s median (${bandwidth.method}; the roofline uses the best)`;
}

function peer(model: ModelResult, id: PeerId): PeerReport | undefined {
  return model.peers.find((report) => report.peer === id);
}

function runAt(report: PeerReport | undefined, promptLength: number): RunResult | undefined {
  return report?.measurement?.runs.find((run) => run.promptLength === promptLength);
}

function ratio(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined || denominator === 0) return NA;
  return `${(numerator / denominator).toFixed(2)}×`;
}

function rate(value: number | undefined): string {
  if (value === undefined) return NA;
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function ms(value: number | undefined): string {
  return value === undefined ? NA : value.toFixed(0);
}

function formatSeconds(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(0)} s`;
}

function markdownTable(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}
