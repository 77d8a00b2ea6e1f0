import { DataType, type GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';
import { dequantizeQ4, Q4_BLOCK_SIZE, quantizeQ4 } from './quantize-q4.js';
import { requireWeight } from './require-weight.js';

/** A projection `y = x·Wᵀ + b` to add to a graph. */
export interface LinearParams {
  /** Node name prefix (`/model/layers.0/attn/q_proj`). */
  name: string;
  input: string;
  /** Name of `W` (`[n, k]`) in the weights; under q4 it then holds its dequantized values. */
  weight: string;
  /** Name of `b` (`[n]`), if any. */
  bias?: string;
  /** Outputs. */
  n: number;
  /** Inputs. */
  k: number;
  /** Name of the result; generated when absent. */
  output?: string;
  /** Use `MatMulNBits` 4-bit weights; `accuracyLevel` undefined omits the attribute. */
  q4?: { accuracyLevel?: number };
}

/** Adds a projection as `MatMul` (with `Wᵀ` stored) or `MatMulNBits`, then `Add` for a bias; returns its output. */
export function addLinear(graph: GraphBuilder, weights: ModelWeights, params: LinearParams): string {
  const { name, n, k } = params;
  const weight = requireWeight(weights, params.weight);
  // The last node of the projection writes the requested output name.
  const last = params.bias === undefined ? params.output : undefined;
  let output: string;
  if (params.q4) {
    const q = quantizeQ4(weight, n, k);
    // Drawn again when asked for: the dequantized matrix would be as large as the weight.
    weights.transform(params.weight, (values) => dequantizeQ4(quantizeQ4(values, n, k), n, k));
    const blocks = Math.ceil(k / Q4_BLOCK_SIZE);
    const packed = graph.initializer(`${params.weight}_Q4`, DataType.UINT8, [n, blocks, Q4_BLOCK_SIZE / 2], q.packed);
    const scales = graph.initializer(`${params.weight}_scales`, DataType.FLOAT, [n * blocks], q.scales);
    const attributes: Record<string, number> = { K: k, N: n, bits: 4, block_size: Q4_BLOCK_SIZE };
    if (params.q4.accuracyLevel !== undefined) attributes.accuracy_level = params.q4.accuracyLevel;
    output = graph.op('MatMulNBits', [params.input, packed, scales], {
      name: `${name}/MatMul_Q4`,
      domain: 'com.microsoft',
      attributes,
      output: last,
    });
  } else {
    const transposed = graph.initializer(params.weight, DataType.FLOAT, [k, n], transpose(weight, n, k));
    output = graph.op('MatMul', [params.input, transposed], { name: `${name}/MatMul`, output: last });
  }
  if (params.bias === undefined) return output;
  const bias = graph.initializer(params.bias, DataType.FLOAT, [n], requireWeight(weights, params.bias));
  return graph.op('Add', [output, bias], { name: `${name}/Add`, output: params.output });
}

function transpose(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(matrix.length);
  // Small tiles walked column by column keep the reads in cache and the writes sequential.
  const tile = 16;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const rEnd = Math.min(rows, r0 + tile);
    for (let c0 = 0; c0 < cols; c0 += tile) {
      const cEnd = Math.min(cols, c0 + tile);
      for (let c = c0; c < cEnd; c++) {
        for (let r = r0, o = c * rows + r0, i = r0 * cols + c; r < rEnd; r++, o++, i += cols) out[o] = matrix[i];
      }
    }
  }
  return out;
}
