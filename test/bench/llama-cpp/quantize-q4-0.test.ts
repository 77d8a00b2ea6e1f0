import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { float32ToFloat16 } from '../../../bench/llama-cpp/float32-to-float16.js';
import { Q4_0_BLOCK_BYTES, quantizeQ4_0 } from '../../../bench/llama-cpp/quantize-q4-0.js';
import { float16ToFloat32 } from '../../../src/runtime/float16.js';

/** What a Q4_0 block stands for: `(level - 8) · d`, as ggml's `dequantize_row_q4_0` computes it. */
function dequantize(bytes: Uint8Array): Float32Array {
  const values = new Float32Array((bytes.length / Q4_0_BLOCK_BYTES) * 32);
  for (let block = 0; block * Q4_0_BLOCK_BYTES < bytes.length; block++) {
    const at = block * Q4_0_BLOCK_BYTES;
    const d = float16ToFloat32(Uint16Array.of(bytes[at] | (bytes[at + 1] << 8)))[0];
    for (let j = 0; j < 16; j++) {
      values[block * 32 + j] = ((bytes[at + 2 + j] & 0x0f) - 8) * d;
      values[block * 32 + 16 + j] = ((bytes[at + 2 + j] >> 4) - 8) * d;
    }
  }
  return values;
}

describe('float32ToFloat16', () => {
  test('rounds to nearest, ties to even, like F16C', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      // Halfway between 65504 and the next step rounds to even: infinity.
      [65520, 0x7c00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [3 * 2 ** -25, 0x0002],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) assert.equal(float32ToFloat16(value), bits, `${value}`);
    assert.equal(float32ToFloat16(Number.NaN) & 0x7e00, 0x7e00);
  });

  test('round-trips every finite half', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      const value = float16ToFloat32(Uint16Array.of(bits))[0];
      assert.equal(float32ToFloat16(value), bits === 0x8000 ? 0x8000 : bits, `0x${bits.toString(16)}`);
    }
  });
});

describe('quantizeQ4_0', () => {
  test('maps the largest magnitude to level 0, j to the low nibble and j + 16 to the high one', () => {
    const values = new Float32Array(32);
    values[0] = 1;
    values[5] = -2;
    values[16] = 0.5;
    values[31] = 1.75;
    const out = new Uint8Array(Q4_0_BLOCK_BYTES);
    quantizeQ4_0(values, out);
    // d = -2 / -8 = 0.25, float16 0x3400.
    assert.deepEqual([out[0], out[1]], [0x00, 0x34]);
    // Levels are trunc(x/d + 8.5): 1 → 12, -2 → 0, 0.5 → 10, 1.75 → 15, 0 → 8.
    assert.equal(out[2], 12 | (10 << 4));
    assert.equal(out[2 + 5], 0 | (8 << 4));
    assert.equal(out[2 + 15], 8 | (15 << 4));
    assert.deepEqual([...dequantize(out)], [...values]);
  });

  test('a positive extreme gets a negative scale and clamps at 15', () => {
    const values = new Float32Array(32).fill(0);
    values[3] = 4;
    values[4] = -4;
    const out = new Uint8Array(Q4_0_BLOCK_BYTES);
    quantizeQ4_0(values, out);
    // The first of equal magnitudes wins: d = 4 / -8 = -0.5; -4 / -0.5 + 8.5 = 16.5 clamps to 15.
    assert.equal(float16ToFloat32(Uint16Array.of(out[0] | (out[1] << 8)))[0], -0.5);
    const back = dequantize(out);
    assert.equal(back[3], 4);
    assert.equal(back[4], -3.5);
  });

  test('stays within half a step of random values (a step where level 15 clamps), and an all-zero block stays zero', () => {
    const values = new Float32Array(32 * 64);
    let state = 12345;
    for (let i = 0; i < 32 * 63; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      values[i] = (state / 2 ** 32 - 0.5) * 2 ** ((i >> 5) % 7);
    }
    const out = new Uint8Array(64 * Q4_0_BLOCK_BYTES);
    quantizeQ4_0(values, out);
    const back = dequantize(out);
    for (let block = 0; block < 63; block++) {
      const slice = values.subarray(block * 32, block * 32 + 32);
      const extreme = slice.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
      const d = extreme / -8;
      for (let i = 0; i < 32; i++) {
        // Levels reach 7·d on the side opposite the extreme, so values past 7.5·d clamp there.
        const bound = (slice[i] / d > 7.5 ? 1 : 0.5) * Math.abs(d);
        // Plus the float16 rounding of the scale, applied to up to 8 steps.
        const error = Math.abs(back[block * 32 + i] - slice[i]);
        assert.ok(error <= bound + 8 * 2 ** -11 * Math.abs(d) + 1e-7, `block ${block} value ${i}: ${error} > ${bound}`);
      }
    }
    // 0 / -8 is -0 in C as here: float16 0x8000.
    assert.deepEqual([...out.subarray(63 * Q4_0_BLOCK_BYTES)], [0x00, 0x80, ...new Array(16).fill(0x88)]);
  });

  test('rejects a partial block', () => {
    assert.throws(() => quantizeQ4_0(new Float32Array(40), new Uint8Array(36)), /whole blocks/);
  });
});
