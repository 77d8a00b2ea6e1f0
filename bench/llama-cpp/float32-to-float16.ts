const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bits(value: number): number {
  f32[0] = value;
  return u32[0];
}

function fromBits(value: number): number {
  u32[0] = value >>> 0;
  return f32[0];
}

/**
 * The IEEE half-precision bits of `value`, rounded to nearest even: a port of ggml's software
 * `ggml_compute_fp32_to_fp16`, which gives what the F16C instruction gives.
 */
export function float32ToFloat16(value: number): number {
  // Scaling up then down in float32 leaves exactly the rounding of the dropped mantissa bits.
  let base = Math.fround(Math.fround(Math.abs(value) * 2 ** 112) * 2 ** -110);
  const w = bits(value);
  const shl1 = (w << 1) >>> 0;
  const sign = (w & 0x80000000) >>> 0;
  let bias = (shl1 & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  base = Math.fround(fromBits((bias >>> 1) + 0x07800000) + base);
  const rounded = bits(base);
  const nonSign = ((rounded >>> 13) & 0x7c00) + (rounded & 0x0fff);
  return (sign >>> 16) | (shl1 > 0xff000000 ? 0x7e00 : nonSign);
}
