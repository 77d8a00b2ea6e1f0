import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { spread } from '../src/runtime/measure-speed.js';
import { physicalCores } from '../src/runtime/physical-cores.js';
import { DataType, GraphBuilder } from '../test/support/synthetic-model/graph-builder.js';

// `npm run bench:matmul -- [--rounds 15] [--layers 12] [--out FILE]`: ONNX Runtime's 4-bit
// `MatMulNBits` kernel alone, at accuracy_level 4 (int8 activations, as owm runs it), by block size
// and by rows fed at once. The weights are the Llama-3.2-1B shape's MLP projections (2048 → 8192 →
// 2048) repeated, far larger than the CPU's caches, as in a decode step. Block sizes and row counts
// alternate within each round, in one process, so that the machine's drift touches them alike.
// What it tells: the cost a block adds (owm's `--reblock`), and what a batch of rows costs against one
// (batched decoding in `owm serve`).
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    layers: { type: 'string', default: '12' },
    out: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const layers = Number(values.layers);
const HIDDEN = 2048;
const INTERMEDIATE = 8192;
const BLOCK_SIZES = [32, 64, 128];
const ROWS = [1, 2, 4, 8];
const threads = physicalCores();

/** A chain of `layers` up and down projections in blocks of `blockSize`; returns the graph's path and its weight bytes. */
function writeChain(dir: string, blockSize: number): { file: string; bytes: number } {
  const graph = new GraphBuilder({ path: path.join(dir, `b${blockSize}.data`), location: `b${blockSize}.data` });
  let activation = graph.input('x', DataType.FLOAT, ['rows', HIDDEN]);
  let bytes = 0;
  const project = (n: number, k: number, name: string): void => {
    const blocks = k / blockSize;
    // Any bytes do: the kernel's cost does not depend on the values.
    const packed = new Uint8Array(n * blocks * (blockSize / 2));
    for (let i = 0; i < packed.length; i++) packed[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
    const scales = new Float32Array(n * blocks).fill(0.01);
    bytes += packed.byteLength + scales.byteLength;
    activation = graph.op(
      'MatMulNBits',
      [activation, graph.initializer(`${name}_q4`, DataType.UINT8, [n, blocks, blockSize / 2], packed), graph.initializer(`${name}_scales`, DataType.FLOAT, [n * blocks], scales)],
      { name, domain: 'com.microsoft', attributes: { K: k, N: n, bits: 4, block_size: blockSize, accuracy_level: 4 } },
    );
  };
  for (let layer = 0; layer < layers; layer++) {
    project(INTERMEDIATE, HIDDEN, `up_${layer}`);
    project(HIDDEN, INTERMEDIATE, `down_${layer}`);
  }
  graph.op('Identity', [activation], { output: 'y' });
  graph.output('y', DataType.FLOAT, ['rows', HIDDEN]);
  const file = path.join(dir, `b${blockSize}.onnx`);
  graph.finish(file);
  return { file, bytes };
}

const dir = mkdtempSync(path.join(tmpdir(), 'owm-matmul-'));
try {
  const chains = BLOCK_SIZES.map((blockSize) => ({ blockSize, ...writeChain(dir, blockSize) }));
  const sessions = await Promise.all(
    chains.map((chain) =>
      // No spinning: the idle sessions' threads would spin against the one running.
      ort.InferenceSession.create(chain.file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } }),
    ),
  );
  const inputs = ROWS.map((rows) => new ort.Tensor('float32', Float32Array.from({ length: rows * HIDDEN }, (_, i) => Math.sin(i)), [rows, HIDDEN]));
  const times = chains.map(() => ROWS.map((): number[] => []));
  for (let round = -1; round < rounds; round++) {
    for (const [c, session] of sessions.entries()) {
      for (const [r, x] of inputs.entries()) {
        const started = performance.now();
        await session.run({ x });
        // Round -1 warms up (ONNX Runtime packs the weights at the first run).
        if (round >= 0) times[c]![r]!.push(performance.now() - started);
      }
    }
    if (round === -1) process.stderr.write(`[matmul] ${chains.length} graphs of ${(chains[0]!.bytes / 1e6).toFixed(0)}–${(chains[chains.length - 1]!.bytes / 1e6).toFixed(0)} MB warmed up\n`);
  }
  await Promise.all(sessions.map((session) => session.release()));
  const median = (c: number, r: number): number => spread(times[c]![r]!).median;
  const base = median(0, 0);
  const lines = [
    `## MatMulNBits by block size and rows (${new Date().toISOString().slice(0, 10)})`,
    '',
    `ONNX Runtime's 4-bit \`MatMulNBits\` at accuracy_level 4, ${layers} pairs of projections ${HIDDEN} → ${INTERMEDIATE} → ${HIDDEN} (the Llama-3.2-1B shape's MLP), float32 scales, no zero points, ${threads} threads (not spinning: three sessions share them); medians of ${rounds} rounds in which every block size and row count runs once. "÷ 32, 1 row": time against blocks of 32 fed one row. Weights read at one row: bytes of weights and scales over the time.`,
    '',
    `| block size | weight bytes | ${ROWS.map((rows) => `${rows} row${rows > 1 ? 's' : ''}: ms (÷ 32, 1 row)`).join(' | ')} | ${ROWS.slice(1).map((rows) => `${rows} rows ÷ 1`).join(' | ')} | weights read at 1 row |`,
    `| --- | --- | ${ROWS.map(() => '---').join(' | ')} | ${ROWS.slice(1).map(() => '---').join(' | ')} | --- |`,
  ];
  for (const [c, chain] of chains.entries()) {
    const cells = ROWS.map((_, r) => `${median(c, r).toFixed(2)} (${(median(c, r) / base).toFixed(2)}×)`);
    const perRow = ROWS.slice(1).map((_, r) => `${(median(c, r + 1) / median(c, 0)).toFixed(2)}×`);
    lines.push(`| ${chain.blockSize} | ${(chain.bytes / 1e6).toFixed(0)} MB | ${cells.join(' | ')} | ${perRow.join(' | ')} | ${(chain.bytes / median(c, 0) / 1e6).toFixed(1)} GB/s |`);
  }
  const markdown = `${lines.join('\n')}\n`;
  if (values.out) {
    mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeFileSync(values.out, markdown);
  }
  process.stdout.write(markdown);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
