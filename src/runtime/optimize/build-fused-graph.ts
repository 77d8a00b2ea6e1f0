import type { onnx as Onnx } from 'onnx-proto';
import { PRESENT_ROWS_PREFIX } from '../graph-signature.js';
import { cacheAttention } from './cache-attention.js';
import { FAST_ACCURACY_LEVEL, fastAccuracyAttributes, keptPositions, keptPositionsLogits, LOGITS_TO_KEEP_INPUT, presentRowsInfo } from './decoder-outputs.js';
import { GraphWriter } from './graph-writer.js';
import { notOptimizable } from './not-optimizable.js';
import { rotaryCaches } from './rotary-caches.js';
import type { DecoderConfig, DecoderParts, Subgraph } from './types.js';

/** A rebuilt decoder graph, its large initializers still referring to the original files, and what was changed. */
export interface FusedGraph {
  model: Onnx.IModelProto;
  changes: string[];
  /** `MatMulNBits` nodes whose `accuracy_level` was raised. */
  raisedAccuracy: number;
}

/**
 * Rebuilds a decoder in the form onnxruntime-genai's model builder writes for the CPU, but for its
 * attention: `SimplifiedLayerNormalization` then `SkipSimplifiedLayerNormalization` (the residual
 * adds fused into the norms), SwiGLU, `lm_head` on the last `num_logits_to_keep` positions only, and attention that
 * reads the KV cache inputs in place with rotary inside (cos/sin caches from the config, no
 * `position_ids`; see `cacheAttention` for why not GroupQueryAttention). Projections, embedding and
 * `lm_head` are the original nodes and weights; unless `exact`, `MatMulNBits` gets
 * `accuracy_level=4`. The inputs keep their names, types and KV layout (float32); instead of the
 * whole cache, the graph returns the rows of the tokens just fed (`present_rows.{i}.key|value`):
 * callers keep the cache in buffers of their own, passed as `past_key_values.*`.
 */
export function buildFusedGraph(parts: DecoderParts, config: DecoderConfig, options: { exact: boolean }): FusedGraph {
  const defaultOpset = parts.opsets.find((opset) => !opset.domain || opset.domain === 'ai.onnx');
  if (Number(defaultOpset?.version ?? 0) < 13) throw notOptimizable('opset below 13');
  const w = new GraphWriter('/owm');
  let projections = 0;
  let raisedAccuracy = 0;

  // Copies original nodes, reading `input` instead of the tensor they read before.
  const copy = (subgraph: Subgraph, input: string): string => {
    for (const node of subgraph.nodes) {
      const inputs = (node.input ?? []).map((name) => (name === subgraph.input ? input : name));
      for (const name of inputs) {
        const tensor = parts.initializers.get(name);
        if (tensor) w.initializer(tensor);
      }
      let attributes = node.attribute ?? [];
      if (node.opType === 'MatMulNBits') {
        projections++;
        const raised = options.exact ? null : fastAccuracyAttributes(attributes);
        if (raised) {
          raisedAccuracy++;
          attributes = raised;
        }
      }
      w.nodes.push({ ...node, input: inputs, attribute: attributes });
    }
    return subgraph.output;
  };
  const weight = (name: string): string => {
    const tensor = parts.initializers.get(name);
    if (!tensor) throw notOptimizable(`initializer ${name} is missing`);
    return w.initializer(tensor);
  };

  const caches = rotaryCaches(config);
  const cosCache = w.float('cos_cache', [caches.rows, config.headDim / 2], caches.cos);
  const sinCache = w.float('sin_cache', [caches.rows, config.headDim / 2], caches.sin);
  const attention = cacheAttention(w, { heads: config.heads, kvHeads: config.kvHeads, headDim: config.headDim, scale: 1 / Math.sqrt(config.headDim) });
  const rotary = { cosCache, sinCache, interleaved: false };

  let residual = copy(parts.embedding, 'input_ids');
  let pending: string | null = null;
  const epsilon = { float: config.rmsNormEps };
  // Normalizes the residual stream after adding `pending` to it, in one node when there is something to add.
  const normalize = (scope: string, gamma: string): string => {
    if (pending === null) {
      return w.op('SimplifiedLayerNormalization', [residual, weight(gamma)], { axis: -1, epsilon, stash_type: 1 }, scope);
    }
    const name = `/owm${scope}/SkipLayerNorm`;
    const [normed, , , sum] = w.node('SkipSimplifiedLayerNormalization', [pending, residual, weight(gamma)], {
      domain: 'com.microsoft',
      outputs: [`${name}/output_0`, '', '', `${name}/output_3`],
      attributes: { epsilon },
      scope,
    });
    residual = sum;
    return normed;
  };

  parts.layers.forEach((layer, i) => {
    const scope = `/layers.${i}`;
    const normed = normalize(`${scope}/input_layernorm`, layer.inputNorm);
    const context = attention({
      q: copy(layer.q, normed),
      k: copy(layer.k, normed),
      v: copy(layer.v, normed),
      pastKey: `past_key_values.${i}.key`,
      pastValue: `past_key_values.${i}.value`,
      newKey: `${PRESENT_ROWS_PREFIX}.${i}.key`,
      newValue: `${PRESENT_ROWS_PREFIX}.${i}.value`,
      rotary,
      scope: `${scope}/attn`,
    });
    pending = copy(layer.o, context);

    const normed2 = normalize(`${scope}/post_attention_layernorm`, layer.postAttentionNorm);
    const gate = copy(layer.gate, normed2);
    const silu = w.op('Mul', [gate, w.op('Sigmoid', [gate], {}, `${scope}/mlp`)], {}, `${scope}/mlp`);
    pending = copy(layer.down, w.op('Mul', [silu, copy(layer.up, normed2)], {}, `${scope}/mlp`));
  });

  const final = normalize('/norm', parts.finalNorm);
  // Only the last positions' logits are read (one while decoding); a prompt's other rows would cost a [seq, vocab] product.
  copy(parts.lmHead, keptPositions(w, final));

  const layerNames = parts.layers.flatMap((_, i) => [`${i}.key`, `${i}.value`]);
  const info = (map: Map<string, Onnx.IValueInfoProto>, name: string): Onnx.IValueInfoProto => map.get(name) ?? { name };
  const changes = [
    `attention of ${parts.layers.length} layers → attention reading the KV cache in place, rotary inside (rope_theta ${config.ropeTheta}, ${caches.rows} positions); position_ids dropped`,
    `RMSNorm → SimplifiedLayerNormalization, residual adds fused into ${2 * parts.layers.length} SkipSimplifiedLayerNormalization`,
    'lm_head on the last num_logits_to_keep positions only',
    'KV outputs hold only the new rows (no whole-cache copy per token)',
  ];
  if (raisedAccuracy > 0) changes.push(`MatMulNBits accuracy_level → ${FAST_ACCURACY_LEVEL} on ${raisedAccuracy} of ${projections} projections`);
  const opsets = parts.opsets.filter((opset) => opset.domain !== 'com.microsoft');
  return {
    model: {
      irVersion: parts.irVersion,
      producerName: 'owm-optimizer',
      opsetImport: [...opsets, { domain: 'com.microsoft', version: 1 }],
      graph: {
        name: 'owm_fused_decoder',
        node: w.nodes,
        initializer: [...w.initializers.values()],
        input: [
          info(parts.inputs, 'input_ids'),
          info(parts.inputs, 'attention_mask'),
          ...layerNames.map((n) => info(parts.inputs, `past_key_values.${n}`)),
          LOGITS_TO_KEEP_INPUT,
        ],
        output: [
          keptPositionsLogits(info(parts.outputs, 'logits')),
          ...layerNames.map((n) => presentRowsInfo(info(parts.outputs, `present.${n}`), `${PRESENT_ROWS_PREFIX}.${n}`)),
        ],
      },
    },
    changes,
    raisedAccuracy,
  };
}
