import type * as ort from 'onnxruntime-node';
import { float16ToFloat32 } from './float16.js';

/** Row `row` (default: the last) of a logits tensor [..., vocab], as float32. */
export function logitsRow(logits: ort.Tensor, row?: number): Float32Array {
  const vocab = Number(logits.dims[logits.dims.length - 1]);
  const at = row ?? logits.data.length / vocab - 1;
  const values = (logits.data as Float32Array | Uint16Array).subarray(at * vocab, (at + 1) * vocab);
  return values instanceof Uint16Array ? float16ToFloat32(values) : values;
}
