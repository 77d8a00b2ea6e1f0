import type { onnx as Onnx } from 'onnx-proto';
import { attribute, GraphWriter } from './graph-writer.js';

const INT64_MAX = 2n ** 63n - 1n;
// MatMulNBits computes with int8-quantized activations at this level: the CPU's fastest kernels.
export const FAST_ACCURACY_LEVEL = 4;

/**
 * Returns a function that adds a `Slice` keeping only the rows of the tokens just fed from a
 * present cache ([batch, heads, total, headDim]): positions [total - fed, total), where total is
 * the attention mask's length and fed the input_ids' length. The bounds are computed once.
 */
export function newRowsSlicer(w: GraphWriter): (present: string, output: string) => void {
  let bounds: { start: string; end: string } | undefined;
  const scope = '/present_rows';
  return (present, output) => {
    if (!bounds) {
      const maskShape = w.op('Shape', ['attention_mask'], {}, scope);
      const end = w.op('Gather', [maskShape, w.int64('index_1', [1n])], { axis: 0 }, scope);
      const fed = w.op('Gather', [w.op('Shape', ['input_ids'], {}, scope), w.int64('index_1', [1n])], { axis: 0 }, scope);
      bounds = { start: w.op('Sub', [end, fed], {}, scope), end };
    }
    w.node('Slice', [present, bounds.start, bounds.end, w.int64('axis_2', [2n])], { outputs: [output], scope });
  };
}

/** A `Slice` of `hidden` ([batch, seq, hidden]) to its last position, for lm_head. */
export function lastPosition(w: GraphWriter, hidden: string): string {
  return w.op('Slice', [hidden, w.int64('minus_one', [-1n]), w.int64('int64_max', [INT64_MAX]), w.int64('index_1', [1n])], {}, '/lm_head');
}

/** `attributes` of a `MatMulNBits` with `accuracy_level` set to the fast level, or null when it already is. */
export function fastAccuracyAttributes(attributes: Onnx.IAttributeProto[]): Onnx.IAttributeProto[] | null {
  const level = Number(attributes.find((a) => a.name === 'accuracy_level')?.i ?? 0);
  if (level === FAST_ACCURACY_LEVEL) return null;
  return [...attributes.filter((a) => a.name !== 'accuracy_level'), attribute('accuracy_level', FAST_ACCURACY_LEVEL)];
}

/** The declaration of a layer's new-rows output: the `present` one's type, renamed, its sequence axis symbolic. */
export function presentRowsInfo(present: Onnx.IValueInfoProto, name: string): Onnx.IValueInfoProto {
  const tensorType = present.type?.tensorType;
  const dims = tensorType?.shape?.dim ?? [];
  if (!tensorType || dims.length !== 4) return { name };
  return { name, type: { tensorType: { elemType: tensorType.elemType, shape: { dim: [dims[0], dims[1], { dimParam: 'fed_length' }, dims[3]] } } } };
}

/** The `logits` declaration with its sequence axis fixed to 1. */
export function lastPositionLogits(logits: Onnx.IValueInfoProto): Onnx.IValueInfoProto {
  const tensorType = logits.type?.tensorType;
  const dims = tensorType?.shape?.dim ?? [];
  if (!tensorType || dims.length !== 3) return logits;
  return { name: logits.name, type: { tensorType: { elemType: tensorType.elemType, shape: { dim: [dims[0], { dimValue: 1 }, dims[2]] } } } };
}
