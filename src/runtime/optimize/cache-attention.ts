import type { GraphWriter } from './graph-writer.js';

// Added to the scores of keys a query must not see; finite, so that no sum ever makes a NaN.
const FLOAT_LOWEST = -3.4028234663852886e38;
const MS_DOMAIN = 'com.microsoft';

/** The attention's heads, as GroupQueryAttention's attributes give them. */
export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Multiplies the scores: 1/√headDim unless the model says otherwise. */
  scale: number;
}

/** Rotary embedding applied to queries and keys inside the attention: cos/sin caches `[positions, headDim / 2]`. */
export interface AttentionRotary {
  cosCache: string;
  sinCache: string;
  interleaved: boolean;
}

/** One layer's attention inputs: the projections' outputs and the cache inputs it reads. */
export interface AttentionInputs {
  /** `[batch, fed, heads · headDim]`, before rotary. */
  q: string;
  /** `[batch, fed, kvHeads · headDim]`, before rotary. */
  k: string;
  v: string;
  /** `[batch, kvHeads, capacity, headDim]` graph inputs. */
  pastKey: string;
  pastValue: string;
  /** Names for the new rows (`[batch, kvHeads, fed, headDim]`, key after rotary): the graph's new-row outputs. */
  newKey: string;
  newValue: string;
  /** Absent when the queries and keys come in already rotated. */
  rotary?: AttentionRotary;
  scope: string;
}

/**
 * Returns a function that writes one layer's attention in standard operators (and com.microsoft's
 * `RotaryEmbedding` and `FusedMatMul`), reading the cache inputs where the caller keeps them.
 *
 * Why not GroupQueryAttention: unless its `present` output is the very buffer of its `past` input,
 * which onnxruntime-node cannot arrange without copying the whole cache back after each run, it
 * zero-fills a present cache of the past's capacity and copies every KV head's past into it once
 * per query head sharing it (4 times on Llama-3.2-1B, 6 on Qwen2.5-1.5B): at 2,048 tokens of
 * context that is most of a step. Here each cache row is read once per step.
 *
 * The cache is `[batch, kvHeads, capacity, headDim]`; row j of batch row b is a past token when
 * j < length_b − fed (length_b: the ones of its attention-mask row), and is masked out otherwise, so
 * capacity beyond the sequence costs reading but never changes the result. The tokens just fed
 * attend to the past and, causally, to each other; the scores of both parts share one softmax. The
 * query heads of a group are stacked as rows of one matrix product against their KV head.
 */
export function cacheAttention(w: GraphWriter, shape: AttentionShape): (inputs: AttentionInputs) => string {
  const { heads, kvHeads, headDim } = shape;
  const group = heads / kvHeads;
  const scale = { float: shape.scale };
  let shared: { positions: string; pastMask: string; newMask: string; splits: string } | undefined;

  // Positions and masks, computed once per run from the attention mask, the fed ids and the first cache's shape.
  const sharedTensors = (pastKey: string): NonNullable<typeof shared> => {
    const scope = '/attention_masks';
    const zero = w.int64('zero_scalar', [0n], []);
    const one = w.int64('one_scalar', [1n], []);
    const lowest = w.float('lowest', [], Float32Array.of(FLOAT_LOWEST));
    const nothing = w.float('zero_float', [], Float32Array.of(0));
    const scalarAt = (tensor: string, index: bigint): string =>
      w.op('Gather', [w.op('Shape', [tensor], {}, scope), w.int64(`index_${index}_scalar`, [index], [])], { axis: 0 }, scope);
    const lengths = w.op('ReduceSum', ['attention_mask', w.int64('axis_1', [1n])], { keepdims: 1 }, scope);
    const fed = scalarAt('input_ids', 1n);
    const capacity = scalarAt(pastKey, 2n);
    const pastLengths = w.op('Sub', [lengths, fed], {}, scope);
    const fedRange = w.op('Range', [zero, fed, one], {}, scope);
    const positions = w.op('Add', [pastLengths, fedRange], {}, scope);
    // [batch, capacity] → [batch, 1, 1, capacity]: row j is visible when j < the row's past length.
    const pastVisible = w.op('Less', [w.op('Range', [zero, capacity, one], {}, scope), pastLengths], {}, scope);
    const pastMask = w.op('Unsqueeze', [w.op('Where', [pastVisible, nothing, lowest], {}, scope), w.int64('axes_1_2', [1n, 2n])], {}, scope);
    // Query row r (token r / group) sees the new tokens t ≤ r / group: [fed · group, fed].
    const groupSize = w.int64('group_scalar', [BigInt(group)], []);
    const rowTokens = w.op('Div', [w.op('Range', [zero, w.op('Mul', [fed, groupSize], {}, scope), one], {}, scope), groupSize], {}, scope);
    const lastVisible = w.op('Unsqueeze', [w.op('Add', [rowTokens, one], {}, scope), w.int64('axes_1', [1n])], {}, scope);
    const newMask = w.op('Where', [w.op('Less', [fedRange, lastVisible], {}, scope), nothing, lowest], {}, scope);
    const splits = w.op('Concat', [w.op('Unsqueeze', [capacity, w.int64('axes_0', [0n])], {}, scope), w.op('Unsqueeze', [fed, w.int64('axes_0', [0n])], {}, scope)], { axis: 0 }, scope);
    return { positions, pastMask, newMask, splits };
  };

  return (inputs) => {
    shared ??= sharedTensors(inputs.pastKey);
    const { positions, pastMask, newMask, splits } = shared;
    const scope = inputs.scope;
    const { rotary: embedding } = inputs;
    const rotary = (x: string, count: number): string =>
      embedding
        ? w.node('RotaryEmbedding', [x, positions, embedding.cosCache, embedding.sinCache], {
            domain: MS_DOMAIN,
            attributes: { interleaved: embedding.interleaved ? 1 : 0, num_heads: count },
            scope,
          })[0]
        : x;
    const toHeads = (x: string, output?: string): string =>
      w.node('Transpose', [w.op('Reshape', [x, w.int64('shape_bsnd', [0n, 0n, BigInt(kvHeads), BigInt(headDim)])], {}, scope)], {
        attributes: { perm: [0, 2, 1, 3] },
        outputs: output ? [output] : 1,
        scope,
      })[0];

    // [batch, fed, heads·headDim] → [batch, kvHeads, fed·group, headDim], rows ordered (token, head in group).
    const q = w.op('Reshape', [rotary(inputs.q, heads), w.int64('shape_bsngd', [0n, 0n, BigInt(kvHeads), BigInt(group), BigInt(headDim)])], {}, scope);
    const queries = w.op('Reshape', [w.op('Transpose', [q], { perm: [0, 2, 1, 3, 4] }, scope), w.int64('shape_bn_rows_d', [0n, 0n, -1n, BigInt(headDim)])], {}, scope);
    const key = toHeads(rotary(inputs.k, kvHeads), inputs.newKey);
    const value = toHeads(inputs.v, inputs.newValue);

    const scores = (keys: string, mask: string): string =>
      w.op('Add', [w.node('FusedMatMul', [queries, keys], { domain: MS_DOMAIN, attributes: { transB: 1, alpha: scale }, scope })[0], mask], {}, scope);
    const probabilities = w.op('Softmax', [w.op('Concat', [scores(inputs.pastKey, pastMask), scores(key, newMask)], { axis: -1 }, scope)], { axis: -1 }, scope);
    const [pastProbabilities, newProbabilities] = w.node('Split', [probabilities, splits], { outputs: 2, attributes: { axis: -1 }, scope });
    const context = w.op('Add', [w.op('MatMul', [pastProbabilities, inputs.pastValue], {}, scope), w.op('MatMul', [newProbabilities, value], {}, scope)], {}, scope);
    // Back to [batch, fed, heads·headDim].
    const grouped = w.op('Reshape', [context, w.int64('shape_bn_s_gd', [0n, 0n, -1n, BigInt(group), BigInt(headDim)])], {}, scope);
    return w.op('Reshape', [w.op('Transpose', [grouped], { perm: [0, 2, 1, 3, 4] }, scope), w.int64('shape_bs_hidden', [0n, 0n, -1n])], {}, scope);
  };
}
