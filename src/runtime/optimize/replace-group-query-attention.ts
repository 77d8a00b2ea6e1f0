import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { cacheAttention, type AttentionInputs } from './cache-attention.js';
import type { GraphWriter } from './graph-writer.js';

const { FLOAT } = onnxProto.onnx.TensorProto.DataType;

// GroupQueryAttention's inputs: query, key, value, past_key, past_value, seqlens_k, total_sequence_length, cos_cache, sin_cache.
const INPUT = { query: 0, key: 1, value: 2, pastKey: 3, pastValue: 4, cos: 7, sin: 8 } as const;
const PLAIN_INPUTS = 9;

/** What a graph's GroupQueryAttention nodes are read against. */
export interface GraphContext {
  inputs: Map<string, Onnx.IValueInfoProto>;
  initializers: Map<string, Onnx.ITensorProto>;
}

/**
 * Returns a function that writes a GroupQueryAttention node as owm's cache attention (see
 * `cacheAttention`), its new KV rows under the names given; it returns false, writing nothing,
 * for a node whose features the rewrite does not cover: a float16 cache, a sliding window, a soft
 * cap, smooth softmax, position ids or a bias given to the node, or rotary over part of a head.
 * Every node of one graph must share its head counts (true of every decoder).
 */
export function groupQueryAttentionReplacer(
  w: GraphWriter,
  graph: GraphContext,
): (node: Onnx.INodeProto, newKey: string, newValue: string) => boolean {
  let attention: ((inputs: AttentionInputs) => string) | undefined;
  return (node, newKey, newValue) => {
    const inputs = node.input ?? [];
    const attributes = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
    const int = (name: string, fallback: number): number => Number(attributes.get(name)?.i ?? fallback);
    const float = (name: string): number => Number(attributes.get(name)?.f ?? 0);
    const past = graph.inputs.get(inputs[INPUT.pastKey] ?? '')?.type?.tensorType;
    const headDim = Number(past?.shape?.dim?.[3]?.dimValue ?? 0);
    const rotary = int('do_rotary', 0) === 1;
    const cos = graph.initializers.get(inputs[INPUT.cos] ?? '');
    const covered =
      past?.elemType === FLOAT &&
      headDim > 0 &&
      int('local_window_size', -1) <= 0 &&
      float('softcap') === 0 &&
      int('smooth_softmax', 0) === 0 &&
      inputs.slice(PLAIN_INPUTS).every((name) => !name) &&
      (!rotary || Number(cos?.dims?.[1] ?? 0) * 2 === headDim);
    if (!covered) return false;

    const heads = int('num_heads', 0);
    const kvHeads = int('kv_num_heads', 0);
    const scale = float('scale') || 1 / Math.sqrt(headDim);
    attention ??= cacheAttention(w, { heads, kvHeads, headDim, scale });
    const scope = (node.name ?? '').replace(/\/[^/]*$/, '');
    let [q, k, v] = [inputs[INPUT.query], inputs[INPUT.key], inputs[INPUT.value]] as string[];
    if (!k) {
      // Packed: [batch, fed, (heads + 2 kvHeads) · headDim].
      const sizes = w.int64(`qkv_sizes_${heads}_${kvHeads}`, [heads, kvHeads, kvHeads].map((count) => BigInt(count * headDim)));
      [q, k, v] = w.node('Split', [q as string, sizes], { outputs: 3, attributes: { axis: -1 }, scope });
    }
    const context = attention({
      q: q as string,
      k: k as string,
      v: v as string,
      pastKey: inputs[INPUT.pastKey] as string,
      pastValue: inputs[INPUT.pastValue] as string,
      newKey,
      newValue,
      rotary: rotary
        ? { cosCache: inputs[INPUT.cos] as string, sinCache: inputs[INPUT.sin] as string, interleaved: int('rotary_interleaved', 0) === 1 }
        : undefined,
      scope,
    });
    w.node('Identity', [context], { outputs: [(node.output ?? [])[0] as string], scope });
    return true;
  };
}
