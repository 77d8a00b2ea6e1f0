import type { onnx as Onnx } from 'onnx-proto';
import { PRESENT_ROWS_PREFIX } from '../graph-signature.js';
import type { FusedGraph } from './build-fused-graph.js';
import { fastAccuracyAttributes, FAST_ACCURACY_LEVEL, keptPositions, keptPositionsLogits, LOGITS_TO_KEEP_INPUT, newRowsGatherer, presentRowsInfo } from './decoder-outputs.js';
import { GraphWriter } from './graph-writer.js';
import { notOptimizable } from './not-optimizable.js';
import { groupQueryAttentionReplacer } from './replace-group-query-attention.js';

const PRESENT = /^present\.(\d+)\.(key|value)$/;
// What may stand between lm_head's matrix product and the logits output (fp16 graphs cast back).
const LOGITS_PASS_THROUGH = new Set(['Cast']);
const LM_HEAD_OPS = new Set(['MatMul', 'MatMulNBits']);

/**
 * Gives a graph that is already fused (GroupQueryAttention: onnxruntime-genai builder exports) what
 * owm's own fused graphs have: attention reading the KV cache in place where the node's features
 * allow it (otherwise GroupQueryAttention stays, its new rows gathered from its present cache), KV
 * outputs holding only the new rows, lm_head on the last `num_logits_to_keep` positions when its pattern is found, and,
 * unless `exact`, `MatMulNBits` at `accuracy_level=4`. Every other node and weight stays as it is,
 * whatever the architecture.
 */
export function adaptFusedGraph(model: Onnx.IModelProto, options: { exact: boolean }): FusedGraph {
  const graph = model.graph ?? {};
  const nodes = (graph.node ?? []).map((node) => ({ ...node, output: [...(node.output ?? [])] }));
  const producer = new Map<string, Onnx.INodeProto>();
  for (const node of nodes) for (const output of node.output) producer.set(output, node);
  const inputNames = new Set((graph.input ?? []).map((input) => input.name));
  if (!inputNames.has('input_ids') || !inputNames.has('attention_mask')) throw notOptimizable('not a decoder with input_ids and attention_mask');
  const defaultOpset = (model.opsetImport ?? []).find((opset) => !opset.domain || opset.domain === 'ai.onnx');
  if (Number(defaultOpset?.version ?? 0) < 13) throw notOptimizable('opset below 13');

  const w = new GraphWriter('/owm');
  const newRows = newRowsGatherer(w);
  const replace = groupQueryAttentionReplacer(w, {
    inputs: new Map((graph.input ?? []).map((input) => [input.name ?? '', input])),
    initializers: new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor])),
  });
  // GroupQueryAttention nodes rewritten as cache attention, with the nodes that replace them.
  const replacements = new Map<Onnx.INodeProto, Onnx.INodeProto[]>();
  const outputs: Onnx.IValueInfoProto[] = [];
  let layers = 0;
  for (const output of graph.output ?? []) {
    const match = PRESENT.exec(output.name ?? '');
    if (!match) {
      outputs.push(output);
      continue;
    }
    const [, layer, kind] = match;
    const attention = producer.get(output.name ?? '');
    if (attention?.opType !== 'GroupQueryAttention') throw notOptimizable(`${output.name} does not come from GroupQueryAttention`);
    const rows = `${PRESENT_ROWS_PREFIX}.${layer}.${kind}`;
    outputs.push(presentRowsInfo(output, rows));
    if (kind === 'key') layers++;
    // Its key and value rows come out of the replacement together.
    if (replacements.has(attention)) continue;
    const [, presentKey, presentValue] = attention.output ?? [];
    const written = w.nodes.length;
    if (presentKey === `present.${layer}.key` && presentValue === `present.${layer}.value` && replace(attention, `${PRESENT_ROWS_PREFIX}.${layer}.key`, `${PRESENT_ROWS_PREFIX}.${layer}.value`)) {
      replacements.set(attention, w.nodes.splice(written));
      continue;
    }
    const internal = `/owm/present/${layer}.${kind}`;
    attention.output = attention.output?.map((name) => (name === output.name ? internal : name));
    newRows(internal, rows);
  }
  if (layers === 0) throw notOptimizable('no present.* KV outputs');
  const changes = [`KV outputs of ${layers} layers hold only the new rows (no whole-cache copy per token)`];
  if (replacements.size > 0) changes.push(`GroupQueryAttention of ${replacements.size} layer${replacements.size === 1 ? '' : 's'} → attention reading the KV cache in place`);

  let lmHead = producer.get('logits');
  while (lmHead && LOGITS_PASS_THROUGH.has(lmHead.opType ?? '')) lmHead = producer.get(lmHead.input?.[0] ?? '');
  const logitsIndex = outputs.findIndex((output) => output.name === 'logits');
  const inputs = [...(graph.input ?? [])];
  if (lmHead && LM_HEAD_OPS.has(lmHead.opType ?? '') && logitsIndex >= 0 && !inputNames.has(LOGITS_TO_KEEP_INPUT.name as string)) {
    lmHead.input = [keptPositions(w, lmHead.input?.[0] ?? ''), ...(lmHead.input ?? []).slice(1)];
    outputs[logitsIndex] = keptPositionsLogits(outputs[logitsIndex]);
    inputs.push(LOGITS_TO_KEEP_INPUT);
    changes.push('lm_head on the last num_logits_to_keep positions only');
  }

  let projections = 0;
  let raisedAccuracy = 0;
  for (const node of nodes) {
    if (node.opType !== 'MatMulNBits') continue;
    projections++;
    const raised = options.exact ? null : fastAccuracyAttributes(node.attribute ?? []);
    if (raised) {
      node.attribute = raised;
      raisedAccuracy++;
    }
  }
  if (raisedAccuracy > 0) changes.push(`MatMulNBits accuracy_level → ${FAST_ACCURACY_LEVEL} on ${raisedAccuracy} of ${projections} projections`);

  // Topological order: the lm_head slice right before lm_head, attention replacements in their node's place, the KV slices after everything.
  const lmHeadSlice = w.nodes.filter((node) => node.name?.startsWith('/owm/lm_head/'));
  const rest = w.nodes.filter((node) => !lmHeadSlice.includes(node));
  const ordered = nodes.flatMap((node) => (node === lmHead ? [...lmHeadSlice, node] : (replacements.get(node) ?? [node])));
  return {
    model: {
      ...model,
      producerName: 'owm-optimizer',
      graph: {
        ...graph,
        node: [...ordered, ...rest],
        initializer: [...(graph.initializer ?? []), ...w.initializers.values()],
        input: inputs,
        output: outputs,
      },
    },
    changes,
    raisedAccuracy,
  };
}
