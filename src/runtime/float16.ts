const exponentTable = new Float32Array(32);
for (let e = 0; e < 32; e++) exponentTable[e] = 2 ** (e - 15);

/** Decodes IEEE half-precision values (as ONNX Runtime hands them over: Uint16Array) to float32. */
export function float16ToFloat32(input: Uint16Array, output: Float32Array = new Float32Array(input.length)): Float32Array {
  for (let i = 0; i < input.length; i++) {
    const h = input[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) output[i] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) output[i] = fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else output[i] = sign * exponentTable[exponent] * (1 + fraction / 1024);
  }
  return output;
}
