import type { onnx as Onnx } from 'onnx-proto';
import { PRESENT_ROWS_PREFIX } from '../graph-signature.js';
import type { FusedGraph } from './build-fused-graph.js';
import { fastAccuracyAttributes, FAST_ACCURACY_LEVEL, lastPosition, lastPositionLogits, newRowsGatherer, presentRowsInfo } from './decoder-outputs.js';
import { GraphWriter } from './graph-writer.js';
import { notOptimizable } from './not-optimizable.js';

const PRESENT = /^present\.(\d+)\.(key|value)$/;
// What may stand between lm_head's matrix product and the logits output (fp16 graphs cast back).
const LOGITS_PASS_THROUGH = new Set(['Cast']);
const LM_HEAD_OPS = new Set(['MatMul', 'MatMulNBits']);

/**
 * Gives a graph that is already fused (GroupQueryAttention: onnxruntime-genai builder exports) what
 * owm's own fused graphs have: KV outputs holding only the new rows, lm_head on the last position
 * when its pattern is found, and, unless `exact`, `MatMulNBits` at `accuracy_level=4`. Every other
 * node and weight stays as it is, whatever the architecture.
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
  const outputs: Onnx.IValueInfoProto[] = [];
  let layers = 0;
  for (const output of graph.output ?? []) {
    const match = PRESENT.exec(output.name ?? '');
    if (!match) {
      outputs.push(output);
      continue;
    }
    const attention = producer.get(output.name ?? '');
    if (attention?.opType !== 'GroupQueryAttention') throw notOptimizable(`${output.name} does not come from GroupQueryAttention`);
    const internal = `/owm/present/${match[1]}.${match[2]}`;
    attention.output = attention.output?.map((name) => (name === output.name ? internal : name));
    const rows = `${PRESENT_ROWS_PREFIX}.${match[1]}.${match[2]}`;
    newRows(internal, rows);
    outputs.push(presentRowsInfo(output, rows));
    if (match[2] === 'key') layers++;
  }
  if (layers === 0) throw notOptimizable('no present.* KV outputs');
  const changes = [`KV outputs of ${layers} layers hold only the new rows (no whole-cache copy per token)`];

  let lmHead = producer.get('logits');
  while (lmHead && LOGITS_PASS_THROUGH.has(lmHead.opType ?? '')) lmHead = producer.get(lmHead.input?.[0] ?? '');
  const logitsIndex = outputs.findIndex((output) => output.name === 'logits');
  if (lmHead && LM_HEAD_OPS.has(lmHead.opType ?? '') && logitsIndex >= 0) {
    lmHead.input = [lastPosition(w, lmHead.input?.[0] ?? ''), ...(lmHead.input ?? []).slice(1)];
    outputs[logitsIndex] = lastPositionLogits(outputs[logitsIndex]);
    changes.push('lm_head on the last position only');
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

  // Topological order: the lm_head slice right before lm_head, the KV slices after everything.
  const lmHeadSlice = w.nodes.filter((node) => node.name?.startsWith('/owm/lm_head/'));
  const rest = w.nodes.filter((node) => !lmHeadSlice.includes(node));
  const ordered = nodes.flatMap((node) => (node === lmHead ? [...lmHeadSlice, node] : [node]));
  return {
    model: {
      ...model,
      producerName: 'owm-optimizer',
      graph: {
        ...graph,
        node: [...ordered, ...rest],
        initializer: [...(graph.initializer ?? []), ...w.initializers.values()],
        output: outputs,
      },
    },
    changes,
    raisedAccuracy,
  };
}
