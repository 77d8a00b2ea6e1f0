import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { attribute, GraphWriter } from './graph-writer.js';

const { onnx } = onnxProto;
const INT64_MAX = 2n ** 63n - 1n;
// MatMulNBits computes with int8-quantized activations at this level: the CPU's fastest kernels.
export const FAST_ACCURACY_LEVEL = 4;

/**
 * Returns a function that adds a `GatherElements` keeping only the rows of the tokens just fed from
 * a present cache ([batch, heads, capacity, headDim]). Each batch row has its own length (the ones
 * of its attention mask row, which may be right-padded with zeros): row b's new tokens sit at
 * positions [length_b - fed, length_b), where fed is the input_ids' length. With one row this is
 * [total - fed, total). The indices are computed once, from the first cache's shape.
 */
export function newRowsGatherer(w: GraphWriter): (present: string, output: string) => void {
  let indices: string | undefined;
  const scope = '/present_rows';
  return (present, output) => {
    if (!indices) {
      const lengths = w.op('ReduceSum', ['attention_mask', w.int64('axis_1', [1n])], { keepdims: 1 }, scope);
      const fed = w.op('Gather', [w.op('Shape', ['input_ids'], {}, scope), w.int64('index_1_scalar', [1n], [])], { axis: 0 }, scope);
      const offsets = w.op('Range', [w.int64('zero_scalar', [0n], []), fed, w.int64('one_scalar', [1n], [])], {}, scope);
      const starts = w.op('Reshape', [w.op('Sub', [lengths, fed], {}, scope), w.int64('batch_shape', [-1n, 1n, 1n, 1n])], {}, scope);
      const positions = w.op('Add', [starts, w.op('Reshape', [offsets, w.int64('fed_shape', [1n, 1n, -1n, 1n])], {}, scope)], {}, scope);
      // [1, heads, 1, headDim] from the cache's shape, to broadcast [batch, 1, fed, 1] over heads and head dims.
      const spread = w.op('Max', [w.op('Mul', [w.op('Shape', [present], {}, scope), w.int64('heads_and_dims', [0n, 1n, 0n, 1n])], {}, scope), w.int64('ones_4', [1n, 1n, 1n, 1n])], {}, scope);
      indices = w.op('Expand', [positions, spread], {}, scope);
    }
    w.node('GatherElements', [present, indices], { outputs: [output], attributes: { axis: 2 }, scope });
  };
}

/**
 * The input that says how many of the last positions get logits (the name and meaning Hugging Face
 * exports use): 1 while decoding, more when drafted tokens are verified in one pass.
 */
export const LOGITS_TO_KEEP_INPUT: Onnx.IValueInfoProto = {
  name: 'num_logits_to_keep',
  type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } },
};

/** A `Slice` of `hidden` ([batch, seq, hidden]) to its last `num_logits_to_keep` positions, for lm_head. */
export function keptPositions(w: GraphWriter, hidden: string): string {
  const starts = w.op('Neg', [w.op('Reshape', [LOGITS_TO_KEEP_INPUT.name as string, w.int64('shape_1', [1n])], {}, '/lm_head')], {}, '/lm_head');
  return w.op('Slice', [hidden, starts, w.int64('int64_max', [INT64_MAX]), w.int64('index_1', [1n])], {}, '/lm_head');
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

/** The `logits` declaration with its sequence axis named after the positions kept. */
export function keptPositionsLogits(logits: Onnx.IValueInfoProto): Onnx.IValueInfoProto {
  const tensorType = logits.type?.tensorType;
  const dims = tensorType?.shape?.dim ?? [];
  if (!tensorType || dims.length !== 3) return logits;
  return { name: logits.name, type: { tensorType: { elemType: tensorType.elemType, shape: { dim: [dims[0], { dimParam: 'kept_positions' }, dims[2]] } } } };
}
