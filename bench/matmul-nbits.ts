import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { spread } from '../src/runtime/measure-speed.js';
import { physicalCores } from '../src/runtime/physical-cores.js';
import { DataType, GraphBuilder } from '../test/support/synthetic-model/graph-builder.js';

// `npm run bench:matmul -- [--rounds 15] [--layers 12] [--accuracy-level 4] [--out FILE]`: ONNX
// Runtime's 4-bit `MatMulNBits` kernel alone, at accuracy_level 4 (int8 activations, as owm runs
// it; 0–3 compute in float32), by block size and by rows fed at once. The weights are the Llama-3.2-1B shape's MLP projections (2048 → 8192 →
// 2048) repeated, far larger than the CPU's caches, as in a decode step. Block sizes and row counts
// alternate within each round, in one process, so that the machine's drift touches them alike.
// What it tells: the cost a block adds (owm's `--reblock`), and what a batch of rows costs against one
// (batched decoding in `owm serve`). A second table sets a layer's seven projections, as exported,
// against q/k/v and gate/up each fused into one `MatMulNBits` and split after it: whether fusing
// them, which would mean writing those weights again, pays on this CPU.
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    layers: { type: 'string', default: '12' },
    'accuracy-level': { type: 'string', default: '4' },
    out: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const layers = Number(values.layers);
const accuracyLevel = Number(values['accuracy-level']);
const HIDDEN = 2048;
const INTERMEDIATE = 8192;
const BLOCK_SIZES = [32, 64, 128];
const ROWS = [1, 2, 4, 8];
const FUSION_ROWS = [1, 4];
const threads = physicalCores();

const KV_WIDTH = 512;

/** A graph of `name` in `dir` with input `x` [rows, HIDDEN] and output `y`, and a `project` that adds one `MatMulNBits`. */
function projectionGraph(dir: string, name: string, blockSize: number) {
  const graph = new GraphBuilder({ path: path.join(dir, `${name}.data`), location: `${name}.data` });
  let bytes = 0;
  const project = (input: string, n: number, k: number, node: string): string => {
    const blocks = k / blockSize;
    // Any bytes do: the kernel's cost does not depend on the values.
    const packed = new Uint8Array(n * blocks * (blockSize / 2));
    for (let i = 0; i < packed.length; i++) packed[i] = (Math.imul(i, 2654435761) >>> 24) & 0xff;
    const scales = new Float32Array(n * blocks).fill(0.01);
    bytes += packed.byteLength + scales.byteLength;
    return graph.op(
      'MatMulNBits',
      [input, graph.initializer(`${node}_q4`, DataType.UINT8, [n, blocks, blockSize / 2], packed), graph.initializer(`${node}_scales`, DataType.FLOAT, [n * blocks], scales)],
      { name: node, domain: 'com.microsoft', attributes: { K: k, N: n, bits: 4, block_size: blockSize, accuracy_level: accuracyLevel } },
    );
  };
  const finish = (output: string): { file: string; bytes: number } => {
    graph.op('Identity', [output], { output: 'y' });
    graph.output('y', DataType.FLOAT, ['rows', HIDDEN]);
    const file = path.join(dir, `${name}.onnx`);
    graph.finish(file);
    return { file, bytes };
  };
  return { graph, x: graph.input('x', DataType.FLOAT, ['rows', HIDDEN]), project, finish };
}

/** A chain of `layers` up and down projections in blocks of `blockSize`; returns the graph's path and its weight bytes. */
function writeChain(dir: string, blockSize: number): { file: string; bytes: number } {
  const { x, project, finish } = projectionGraph(dir, `b${blockSize}`, blockSize);
  let activation = x;
  for (let layer = 0; layer < layers; layer++) {
    activation = project(project(activation, INTERMEDIATE, HIDDEN, `up_${layer}`), HIDDEN, INTERMEDIATE, `down_${layer}`);
  }
  return finish(activation);
}

/**
 * `layers` layers of the 1B shape's seven projections in blocks of 32, as exported (q, k, v, o,
 * gate, up, down) or with q/k/v and gate/up fused into one `MatMulNBits` each and split after it.
 * Adds, a tile and a product stand in for attention and SwiGLU, so that every output is used.
 */
function writeLayers(dir: string, fused: boolean): { file: string; bytes: number } {
  const { graph, x, project, finish } = projectionGraph(dir, fused ? 'fused' : 'separate', 32);
  const split = (input: string, widths: number[], name: string): string[] =>
    graph.node('Split', [input, graph.initializer(`${name}_widths`, DataType.INT64, [widths.length], BigInt64Array.from(widths, BigInt))], {
      outputs: widths.map((_, i) => `${name}_${i}`),
      attributes: { axis: -1 },
    });
  let residual = x;
  for (let layer = 0; layer < layers; layer++) {
    const [q, k, v] = fused
      ? split(project(residual, HIDDEN + 2 * KV_WIDTH, HIDDEN, `qkv_${layer}`), [HIDDEN, KV_WIDTH, KV_WIDTH], `qkv_${layer}`)
      : [project(residual, HIDDEN, HIDDEN, `q_${layer}`), project(residual, KV_WIDTH, HIDDEN, `k_${layer}`), project(residual, KV_WIDTH, HIDDEN, `v_${layer}`)];
    const repeats = graph.initializer(`repeats_${layer}`, DataType.INT64, [2], BigInt64Array.of(1n, BigInt(HIDDEN / KV_WIDTH)));
    const attention = graph.op('Add', [q as string, graph.op('Tile', [graph.op('Add', [k as string, v as string]), repeats])]);
    residual = graph.op('Add', [residual, project(attention, HIDDEN, HIDDEN, `o_${layer}`)]);
    const [gate, up] = fused
      ? split(project(residual, 2 * INTERMEDIATE, HIDDEN, `gate_up_${layer}`), [INTERMEDIATE, INTERMEDIATE], `gate_up_${layer}`)
      : [project(residual, INTERMEDIATE, HIDDEN, `gate_${layer}`), project(residual, INTERMEDIATE, HIDDEN, `up_${layer}`)];
    const swiglu = graph.op('Mul', [graph.op('Mul', [gate as string, graph.op('Sigmoid', [gate as string])]), up as string]);
    residual = graph.op('Add', [residual, project(swiglu, HIDDEN, INTERMEDIATE, `down_${layer}`)]);
  }
  return finish(residual);
}

/**
 * Medians of `rounds` runs of each graph at each row count, the graphs and row counts alternating
 * within a round (round -1 warms up: ONNX Runtime packs the weights at the first run).
 */
async function timeGraphs(files: string[], rowCounts: number[]): Promise<number[][]> {
  const sessions = await Promise.all(
    // No spinning: the idle sessions' threads would spin against the one running.
    files.map((file) => ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } })),
  );
  const inputs = rowCounts.map((rows) => new ort.Tensor('float32', Float32Array.from({ length: rows * HIDDEN }, (_, i) => Math.sin(i)), [rows, HIDDEN]));
  const times = files.map(() => rowCounts.map((): number[] => []));
  for (let round = -1; round < rounds; round++) {
    for (const [g, session] of sessions.entries()) {
      for (const [r, x] of inputs.entries()) {
        const started = performance.now();
        await session.run({ x });
        if (round >= 0) times[g]![r]!.push(performance.now() - started);
      }
    }
  }
  await Promise.all(sessions.map((session) => session.release()));
  return times.map((byRows) => byRows.map((runs) => spread(runs).median));
}

const dir = mkdtempSync(path.join(tmpdir(), 'owm-matmul-'));
try {
  const date = new Date().toISOString().slice(0, 10);
  const chains = BLOCK_SIZES.map((blockSize) => ({ blockSize, ...writeChain(dir, blockSize) }));
  const medians = await timeGraphs(chains.map((chain) => chain.file), ROWS);
  process.stderr.write(`[matmul] block sizes timed\n`);
  const median = (c: number, r: number): number => medians[c]![r]!;
  const base = median(0, 0);
  const lines = [
    `## MatMulNBits by block size and rows (${date})`,
    '',
    `ONNX Runtime's 4-bit \`MatMulNBits\` at accuracy_level ${accuracyLevel}, ${layers} pairs of projections ${HIDDEN} → ${INTERMEDIATE} → ${HIDDEN} (the Llama-3.2-1B shape's MLP), float32 scales, no zero points, ${threads} threads (not spinning: three sessions share them); medians of ${rounds} rounds in which every block size and row count runs once. "÷ 32, 1 row": time against blocks of 32 fed one row. Weights read at one row: bytes of weights and scales over the time.`,
    '',
    `| block size | weight bytes | ${ROWS.map((rows) => `${rows} row${rows > 1 ? 's' : ''}: ms (÷ 32, 1 row)`).join(' | ')} | ${ROWS.slice(1).map((rows) => `${rows} rows ÷ 1`).join(' | ')} | weights read at 1 row |`,
    `| --- | --- | ${ROWS.map(() => '---').join(' | ')} | ${ROWS.slice(1).map(() => '---').join(' | ')} | --- |`,
  ];
  for (const [c, chain] of chains.entries()) {
    const cells = ROWS.map((_, r) => `${median(c, r).toFixed(2)} (${(median(c, r) / base).toFixed(2)}×)`);
    const perRow = ROWS.slice(1).map((_, r) => `${(median(c, r + 1) / median(c, 0)).toFixed(2)}×`);
    lines.push(`| ${chain.blockSize} | ${(chain.bytes / 1e6).toFixed(0)} MB | ${cells.join(' | ')} | ${perRow.join(' | ')} | ${(chain.bytes / median(c, 0) / 1e6).toFixed(1)} GB/s |`);
  }

  const layouts = [
    { name: 'as exported (q, k, v, o, gate, up, down)', ...writeLayers(dir, false) },
    { name: 'q/k/v and gate/up fused, then split', ...writeLayers(dir, true) },
  ];
  const layoutMedians = await timeGraphs(layouts.map((layout) => layout.file), FUSION_ROWS);
  lines.push(
    '',
    `## Separate or fused projections (${date})`,
    '',
    `${layers} layers of the Llama-3.2-1B shape's seven projections in blocks of 32 (${(layouts[0]!.bytes / 1e6).toFixed(0)} MB), as exported or with q/k/v and gate/up each fused into one \`MatMulNBits\` whose output is split; the same accuracy level, threads and rounds. "÷ as exported": the fused layout's time over the exported one's.`,
    '',
    `| projections | ${FUSION_ROWS.map((rows) => `${rows} row${rows > 1 ? 's' : ''}: ms (÷ as exported)`).join(' | ')} |`,
    `| --- | ${FUSION_ROWS.map(() => '---').join(' | ')} |`,
    ...layouts.map((layout, l) => `| ${layout.name} | ${FUSION_ROWS.map((_, r) => `${layoutMedians[l]![r]!.toFixed(2)} (${(layoutMedians[l]![r]! / layoutMedians[0]![r]!).toFixed(2)}×)`).join(' | ')} |`),
  );
  const markdown = `${lines.join('\n')}\n`;
  if (values.out) {
    mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeFileSync(values.out, markdown);
  }
  process.stdout.write(markdown);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
