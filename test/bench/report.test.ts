import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BenchResults, ModelResult } from '../../bench/bench-results.js';
import { benchSettings } from '../../bench/bench-settings.js';
import { decodeVsContextSvg } from '../../bench/chart-svg.js';
import { notApplicable, reportPeer, type PeerReport } from '../../bench/peers/peer-target.js';
import type { RunResult } from '../../bench/peers/peer-protocol.js';
import { batchedDecodingSection, reportMarkdown } from '../../bench/report-markdown.js';
import { TINY } from '../support/synthetic-model/index.js';

const flat = (value: number) => ({ median: value, min: value, max: value });

function runs(decode: number, contexts: number[]): RunResult[] {
  return [32, 512, ...contexts].map((promptLength) => ({
    promptLength,
    genTokens: 32,
    ttftMs: flat(promptLength),
    prefillTokensPerSecond: flat(1000),
    decodeTokensPerSecond: flat(decode / (promptLength >= 2048 ? 2 : 1)),
  }));
}

function peer(id: PeerReport['peer'], decode: number | null, contexts: number[]): PeerReport {
  if (decode === null) return { peer: id, reason: 'the module <llama> failed', wallSeconds: 0 };
  return {
    peer: id,
    measurement: { loadMs: 10, peakRssBytes: 5e8, runs: runs(decode, contexts), firstTokens: [1, 2, 3], notes: [] },
    coldTtftMs: id === 'owm-cli' || id === 'transformers-js' ? flat(1000) : undefined,
    wallSeconds: 1,
  };
}

function fixture(): BenchResults {
  const settings = benchSettings({ quick: true, threads: 2, only: [], skipDownload: false });
  const contexts = settings.chartContexts;
  const model: ModelResult = {
    id: 'tiny',
    label: 'Tiny & small',
    config: { arch: 'llama', layers: TINY.layers, hidden: TINY.hidden, heads: TINY.heads, kvHeads: TINY.kvHeads, headDim: 16, intermediate: TINY.intermediate, vocab: 1000, maxPositions: 2048, ropeTheta: 10000, rmsNormEps: 1e-5, tieEmbeddings: false, qkvBias: false, bosTokenId: 1, eosTokenIds: [2], padTokenId: null },
    graph: '/models/tiny/model.onnx',
    weights: { bytesPerToken: 1e8, indexedBytes: 1e7, initializers: 10 },
    kvBytesPerContextToken: 1000,
    peers: [peer('owm-api', 20, contexts), peer('owm-cli', 20, contexts), peer('floor', 40, contexts), peer('transformers-js', 10, contexts), peer('llama-cpp', null, contexts)],
  };
  return {
    set: 'quick',
    startedAt: '2026-11-29T10:00:00.000Z',
    wallSeconds: 125,
    machine: { cpu: 'Test CPU', physicalCores: 2, logicalCores: 2, memoryBytes: 8e9, os: 'Linux', node: 'v20', onnxruntime: '1.30.0', transformersJs: '4.3.1', nodeLlamaCpp: '3.21.1', loadAverage: 0.5 },
    settings: { ...settings, models: ['tiny'] },
    memoryBandwidth: { bytesPerSecond: 1e10, minBytesPerSecond: 9e9, maxBytesPerSecond: 1e10, bufferBytes: 1e9, threads: 2, method: 'test' },
    models: [model],
    download: { fileBytes: 256e6, reps: 1, owmBytesPerSecond: flat(300e6), curlBytesPerSecond: flat(200e6) },
  };
}

describe('reportMarkdown', () => {
  const markdown = reportMarkdown(fixture());

  test('one row per peer and the roofline, medians and n/a where a peer has no number', () => {
    assert.match(markdown, /^# owm benchmark: quick set, 2026-11-29/);
    assert.match(markdown, /\| owm \(in-process API\) \| 32 \| n\/a \| 1000 \| 20\.0 \| 10\.0 \| 500 MB \| 10 \|/);
    assert.match(markdown, /\| owm \(CLI, fresh process\) \| 32 \| 1000 \|/);
    assert.match(markdown, /\| llama\.cpp \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \|/);
    // 1e10 B/s over 1e8 weight bytes + 128 × 1000 KV bytes.
    assert.match(markdown, /\| roofline \| n\/a \| n\/a \| n\/a \| 99\.9 \| 98\.0 \| n\/a \| n\/a \|/);
    assert.match(markdown, /- llama\.cpp: the module <llama> failed/);
  });

  test('ratios are owm speed over peer speed', () => {
    assert.match(markdown, /\| transformers\.js \| 1\.00× \| 1\.00× \| 1\.00× \| 2\.00× \| 2\.00× \|/);
    assert.match(markdown, /\| floor \(bare ORT loop\) \| 1\.00× \| n\/a \| 1\.00× \| 0\.50× \| 0\.50× \|/);
    assert.match(markdown, /\| roofline \| n\/a \| n\/a \| n\/a \| 0\.20× \| 0\.10× \|/);
    assert.match(markdown, /\| owm ÷ curl \| 1\.50× \|/);
  });

  test("the chat's second turn, with and without the cached conversation, when the owm API measured it", () => {
    assert.doesNotMatch(markdown, /Chat \(owm API\)/);
    const results = fixture();
    const api = results.models[0].peers.find((report) => report.peer === 'owm-api')?.measurement;
    assert.ok(api);
    api.chatTurn = { conversationTokens: 2100, reusedTokens: 2080, reuseTtftMs: flat(120), freshTtftMs: flat(6000) };
    assert.match(
      reportMarkdown(results),
      /Chat \(owm API\): the second turn of a 2100-token conversation starts answering after 120 ms with the conversation's cache reused \(2080 tokens\), against 6000 ms prefilling it all again \(50\.00× sooner\)\./,
    );
  });
});

describe('reportMarkdown on a model with a plan of its own', () => {
  test('says what the plan came to, drops the empty chart table and names models not measured with the reason', () => {
    const results = fixture();
    results.models[0].plan = { shortReps: 2, longReps: 1, coldReps: 2, chatTurnReps: 0, tableContexts: [128, 2048], chartContexts: [] };
    results.unmeasuredModels = [{ id: 'big', label: 'Big (genai)', reason: 'too large to write here' }];
    results.models[0].peers = results.models[0].peers.map((report) => (report.peer === 'floor' ? notApplicable('floor', 'left out on big shapes') : report));
    const markdown = reportMarkdown(results);
    assert.match(
      markdown,
      /A plan of its own, to keep the full run within its time: medians of 2 runs \(short prompts\) and 1 \(longer\), cold start over 2 fresh processes, decode at 128 and 2048 tokens of context, no chart-only contexts, no chat turn\./,
    );
    assert.doesNotMatch(markdown, /Decode tok\/s by context/);
    assert.match(markdown, /- floor \(bare ORT loop\): left out on big shapes\n/);
    assert.match(markdown, /- Graph loaded by owm: /);
    assert.match(reportMarkdown(fixture()), /- Graph loaded by owm \(and run by the floor\): /);
    assert.match(markdown, /## Big \(genai\)\n\nNot measured: too large to write here\n/);
  });
});

describe('a peer timed only at its cold start', () => {
  test('reportPeer gives the reason for the warm runs, times the cold start, and the table shows only that', async () => {
    let warmRan = false;
    const report = await reportPeer('owm-cli', { leftOut: 'warm runs left out on big shapes' }, async () => flat(900));
    assert.equal(report.measurement, undefined);
    assert.equal(report.reason, 'warm runs left out on big shapes');
    assert.deepEqual(report.coldTtftMs, flat(900));
    const measured = await reportPeer('owm-cli', async () => ((warmRan = true), { loadMs: 1, peakRssBytes: 1, runs: [], firstTokens: [], notes: [] }));
    assert.ok(warmRan && measured.measurement);

    const results = fixture();
    results.models[0].peers = results.models[0].peers.map((one) => (one.peer === 'owm-cli' ? report : one));
    const markdown = reportMarkdown(results);
    assert.match(markdown, /\| owm \(CLI, fresh process\) \| n\/a \| 900 \| n\/a \| n\/a \| n\/a \| n\/a \| n\/a \|/);
    assert.match(markdown, /- owm \(CLI, fresh process\): warm runs left out on big shapes\n/);
    assert.doesNotMatch(markdown, /CLI, fresh process\) cold start:/);
  });
});

describe('batchedDecodingSection', () => {
  test('puts the aggregate with every stream in flight first, and the sum from each first token beside it', () => {
    const line = (streams: number, inFlight: number, fromFirstToken: number) => ({
      streams,
      batchedInFlightTokensPerSecond: inFlight,
      roundRobinInFlightTokensPerSecond: 20,
      batchedTokensPerSecond: fromFirstToken,
      roundRobinTokensPerSecond: 19,
      batchedWallTokensPerSecond: fromFirstToken - 2,
      roundRobinWallTokensPerSecond: 18,
      sameTokens: streams !== 8,
    });
    const lines = batchedDecodingSection({ batching: { model: 'Tiny', tokens: 32, parallel: 8, lines: [line(1, 20, 20), line(4, 52, 44), line(8, 70, 55)] } }).join('\n');
    assert.match(lines, /\| 1 \| 20\.0 \| 1\.00× \| 20\.0 \| 1\.00× \| 1\.00× \| 20\.0 \(1\.00×\) \| 18\.0 \/ 18\.0 \| yes \|/);
    assert.match(lines, /\| 4 \| 52\.0 \| 2\.60× \| 20\.0 \| 1\.00× \| 2\.60× \| 44\.0 \(2\.20×\) \| 42\.0 \/ 18\.0 \| yes \|/);
    assert.match(lines, /\| 8 \| 70\.0 \| 3\.50× .* \| no \|/);
    assert.deepEqual(batchedDecodingSection({ batchingError: 'no model' }), ['## Batched decoding', '', 'Not measured: no model', '']);
  });
});

describe('decodeVsContextSvg', () => {
  test('draws one line per peer with numbers and says which peer has none', () => {
    const results = fixture();
    const floor = results.models[0].peers.find((report) => report.peer === 'floor');
    delete floor?.measurement;
    const svg = decodeVsContextSvg(results);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(svg, /Tiny &amp; small/);
    assert.equal(svg.match(/<path /g)?.length, 2);
    assert.equal(svg.match(/<circle /g)?.length, 2 * results.settings.chartContexts.length);
    assert.match(svg, /floor \(bare ORT loop\) \(n\/a\)/);
    assert.match(svg, /owm: 20\.0 tok\/s at 128/);
  });
});
