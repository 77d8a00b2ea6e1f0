/** Weights per 4-bit block, as in transformers.js and onnxruntime-genai q4/int4 files. */
export const Q4_BLOCK_SIZE = 32;

/** A `[n, k]` matrix in `MatMulNBits` form. */
export interface Q4Matrix {
  /** `[n, ceil(k / 32), 16]`: two 4-bit values a byte, the lower k index in the low nibble. */
  packed: Uint8Array;
  /** `[n * ceil(k / 32)]`, one per block. */
  scales: Float32Array;
}

/**
 * Quantizes a row-major `[n, k]` matrix (`n` outputs, `k` inputs) to symmetric 4-bit blocks along
 * `k` with the implicit zero point 8, the way onnxruntime's `MatMul4BitsQuantizer` does.
 */
export function quantizeQ4(weight: Float32Array, n: number, k: number): Q4Matrix {
  const blocks = Math.ceil(k / Q4_BLOCK_SIZE);
  const packed = new Uint8Array(n * blocks * (Q4_BLOCK_SIZE / 2));
  const scales = new Float32Array(n * blocks);
  for (let row = 0; row < n; row++) {
    for (let block = 0; block < blocks; block++) {
      const start = row * k + block * Q4_BLOCK_SIZE;
      const end = Math.min(start + Q4_BLOCK_SIZE, row * k + k);
      // The signed extreme maps to -8 exactly, so the scale may be negative.
      let extreme = 0;
      let magnitude = 0;
      for (let i = start; i < end; i++) {
        const w = weight[i];
        const m = w < 0 ? -w : w;
        if (m > magnitude) {
          magnitude = m;
          extreme = w;
        }
      }
      const scale = Math.fround(extreme / -8);
      const inverse = scale === 0 ? 0 : 1 / scale;
      const index = row * blocks + block;
      scales[index] = scale;
      // Levels past the end of a short last block stay 8, i.e. zero.
      for (let i = start, out = index * (Q4_BLOCK_SIZE / 2); i < start + Q4_BLOCK_SIZE; i += 2, out++) {
        const low = i < end ? level(weight[i] * inverse) : 8;
        const high = i + 1 < end ? level(weight[i + 1] * inverse) : 8;
        packed[out] = low | (high << 4);
      }
    }
  }
  return { packed, scales };
}

/** The `[n, k]` values a `quantizeQ4` matrix stands for, `(q - 8) * scale`: what `MatMulNBits` multiplies by. */
export function dequantizeQ4({ packed, scales }: Q4Matrix, n: number, k: number): Float32Array {
  const blocks = Math.ceil(k / Q4_BLOCK_SIZE);
  const out = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let block = 0; block < blocks; block++) {
      const index = row * blocks + block;
      const scale = scales[index];
      const start = row * k + block * Q4_BLOCK_SIZE;
      const end = Math.min(start + Q4_BLOCK_SIZE, row * k + k);
      for (let i = start, at = index * (Q4_BLOCK_SIZE / 2); i < end; i += 2, at++) {
        out[i] = ((packed[at] & 15) - 8) * scale;
        if (i + 1 < end) out[i + 1] = ((packed[at] >>> 4) - 8) * scale;
      }
    }
  }
  return out;
}

/** Rounds `x + 8` half up into 0..15 (x is at least -8, so truncation rounds). */
function level(x: number): number {
  const q = (x + 8.5) | 0;
  return q > 15 ? 15 : q < 0 ? 0 : q;
}
