import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { spread } from '../src/runtime/measure-speed.js';

const { onnx } = onnxProto;

/** The machine's memory read bandwidth, as ONNX Runtime's kernels see it. */
export interface MemoryBandwidth {
  bytesPerSecond: number;
  /** Slowest and fastest repetition. */
  minBytesPerSecond: number;
  maxBytesPerSecond: number;
  bufferBytes: number;
  threads: number;
  method: string;
}

// Each row is summed by one thread at a time; many rows keep every thread busy to the end.
const ROWS = 1024;

/**
 * Measures memory read bandwidth with the runtime under test: ONNX Runtime sums a buffer far
 * larger than any cache (ReduceSum over its rows, `threads` intra-op threads, owm's session
 * options), so the rate is what a decode step, which streams every weight once, can hope for.
 */
export async function measureMemoryBandwidth(options: { threads: number; bufferBytes?: number; reps?: number }): Promise<MemoryBandwidth> {
  const bufferBytes = options.bufferBytes ?? 2 ** 30;
  const columns = Math.floor(bufferBytes / 4 / ROWS);
  const session = await ort.InferenceSession.create(reduceSumModel(), {
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '1' } } },
  });
  try {
    // fill() touches every page, so the timed runs read memory, not fresh zero pages.
    const input = new ort.Tensor('float32', new Float32Array(ROWS * columns).fill(1), [ROWS, columns]);
    const bytes = ROWS * columns * 4;
    await session.run({ x: input });
    const rates: number[] = [];
    for (let rep = 0; rep < (options.reps ?? 7); rep++) {
      const started = performance.now();
      await session.run({ x: input });
      rates.push(bytes / ((performance.now() - started) / 1000));
    }
    const { median, min, max } = spread(rates);
    return {
      bytesPerSecond: median,
      minBytesPerSecond: min,
      maxBytesPerSecond: max,
      bufferBytes: bytes,
      threads: options.threads,
      method: `onnxruntime ReduceSum over a ${Math.round(bytes / 2 ** 20)} MiB float32 tensor, median of ${rates.length}`,
    };
  } finally {
    await session.release();
  }
}

/** `y = ReduceSum(x, axes=[1])` for x: float32 [rows, columns]. */
function reduceSumModel(): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'memory-bandwidth',
      node: [{ opType: 'ReduceSum', input: ['x', 'axes'], output: ['y'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] }],
      initializer: [{ name: 'axes', dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [1] }],
      input: [tensorInfo('x', ['rows', 'columns'])],
      output: [tensorInfo('y', ['rows'])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function tensorInfo(name: string, dims: string[]): Onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } } };
}
