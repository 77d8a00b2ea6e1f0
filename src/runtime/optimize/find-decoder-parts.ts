import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { notOptimizable } from './not-optimizable.js';
import type { DecoderConfig, DecoderLayerParts, DecoderParts, Subgraph } from './types.js';

const { onnx } = onnxProto;
const { FLOAT } = onnx.TensorProto.DataType;

// Ops that only ever appear in already fused graphs (onnxruntime-genai builder, ORT transformer optimizer).
const FUSED_OPS = new Set(['GroupQueryAttention', 'MultiHeadAttention', 'SkipSimplifiedLayerNormalization', 'RotaryEmbedding', 'Attention']);
// What a copied projection may contain: a matrix product (plain or 4-bit), a bias, a transposed weight.
const PROJECTION_OPS = new Set(['MatMul', 'MatMulNBits', 'Add', 'Transpose']);
const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const ALLOWED_INPUTS = new Set(['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep']);

/**
 * Finds, in an optimum / transformers.js decoder export, the pieces a fused graph is rebuilt
 * from. Layers are recognised by the scopes torch gives node names (`/model/layers.3/self_attn/
 * q_proj/MatMul`, `/model/layers.3/input_layernorm/Mul_1`, `/lm_head/MatMul`); every projection is
 * taken whole (4-bit or not, with its bias), so its weights are reused byte for byte.
 */
export function findDecoderParts(model: Onnx.IModelProto, config: DecoderConfig): DecoderParts {
  const graph = model.graph ?? {};
  const nodes = graph.node ?? [];
  const fused = nodes.find((node) => FUSED_OPS.has(node.opType ?? ''));
  if (fused) throw notOptimizable(`already fused (it has ${fused.opType})`);
  const inputs = new Map((graph.input ?? []).map((info) => [info.name ?? '', info]));
  const outputs = new Map((graph.output ?? []).map((info) => [info.name ?? '', info]));
  if (!inputs.has('position_ids')) throw notOptimizable('already fused (no position_ids input)');
  const unexpected = [...inputs.keys()].filter((name) => !ALLOWED_INPUTS.has(name) && !PAST.test(name));
  if (unexpected.length > 0) throw notOptimizable(`unexpected inputs ${unexpected.join(', ')}`);
  if (!inputs.has('input_ids') || !inputs.has('attention_mask') || !outputs.has('logits')) {
    throw notOptimizable('not a decoder with input_ids, attention_mask and logits');
  }
  const pastCount = [...inputs.keys()].filter((name) => PAST.test(name)).length;
  if (pastCount !== 2 * config.layers) throw notOptimizable(`${pastCount / 2} KV layers in the graph, ${config.layers} in config.json`);
  for (let i = 0; i < config.layers; i++) {
    for (const kind of ['key', 'value']) {
      if (!inputs.has(`past_key_values.${i}.${kind}`) || !outputs.has(`present.${i}.${kind}`)) throw notOptimizable(`layer ${i} lacks its ${kind} cache`);
    }
  }
  // A float32 GroupQueryAttention cannot take a cast float16 cache: ORT reuses the cast's buffer for
  // the grown present and fails, so float16-cache graphs stay as they are.
  if (elemType(inputs.get('past_key_values.0.key')) !== FLOAT) throw notOptimizable('the KV cache is not float32 (float16 caches are not rebuilt)');
  if (elemType(outputs.get('logits')) !== FLOAT) throw notOptimizable('float16 activations (fp16 / q4f16 exports): only float32 graphs are rebuilt');

  const initializers = new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor]));
  const index = new GraphIndex(nodes, initializers, outputs);
  const layers: DecoderLayerParts[] = [];
  for (let i = 0; i < config.layers; i++) {
    const p = `/model/layers.${i}`;
    const layer: DecoderLayerParts = {
      inputNorm: index.normWeight(`${p}/input_layernorm`, config.hidden),
      postAttentionNorm: index.normWeight(`${p}/post_attention_layernorm`, config.hidden),
      q: index.subgraph(`${p}/self_attn/q_proj`),
      k: index.subgraph(`${p}/self_attn/k_proj`),
      v: index.subgraph(`${p}/self_attn/v_proj`),
      o: index.subgraph(`${p}/self_attn/o_proj`),
      gate: index.subgraph(`${p}/mlp/gate_proj`),
      up: index.subgraph(`${p}/mlp/up_proj`),
      down: index.subgraph(`${p}/mlp/down_proj`),
    };
    if (layer.q.input !== layer.k.input || layer.q.input !== layer.v.input || layer.gate.input !== layer.up.input) {
      throw notOptimizable(`layer ${i}: q/k/v or gate/up projections read different tensors`);
    }
    layers.push(layer);
  }
  const lmHead = index.subgraph('/lm_head');
  if (lmHead.output !== 'logits') throw notOptimizable('lm_head does not write logits');
  const embedding = index.embedding(config.hidden);
  return {
    embedding: embedding.subgraph,
    vocab: embedding.vocab,
    layers,
    finalNorm: index.normWeight('/model/norm', config.hidden),
    lmHead,
    initializers,
    inputs,
    outputs,
    irVersion: Number(model.irVersion ?? 0),
    opsets: model.opsetImport ?? [],
  };
}

function elemType(info: Onnx.IValueInfoProto | undefined): number | undefined {
  return info?.type?.tensorType?.elemType ?? undefined;
}

/** Lookups over the original graph: nodes by name scope, producers and consumers by tensor. */
class GraphIndex {
  private readonly byScope = new Map<string, Onnx.INodeProto[]>();
  private readonly consumers = new Map<string, Onnx.INodeProto[]>();

  constructor(
    nodes: Onnx.INodeProto[],
    private readonly initializers: Map<string, Onnx.ITensorProto>,
    private readonly graphOutputs: Map<string, Onnx.IValueInfoProto>,
  ) {
    for (const node of nodes) {
      const parts = (node.name ?? '').split('/');
      // Every enclosing scope of `/a/b/Op` lists the node: `/a`, `/a/b`.
      for (let end = 2; end < parts.length; end++) push(this.byScope, parts.slice(0, end).join('/'), node);
      for (const input of node.input ?? []) if (input) push(this.consumers, input, node);
    }
  }

  /** The nodes named under `scope`, checked to be a projection with one activation in and one out. */
  subgraph(scope: string): Subgraph {
    const nodes = this.byScope.get(scope) ?? [];
    if (nodes.length === 0) throw notOptimizable(`no nodes named ${scope}/...`);
    const odd = nodes.find((node) => !PROJECTION_OPS.has(node.opType ?? '') || domainOf(node) !== expectedDomain(node.opType ?? ''));
    if (odd) throw notOptimizable(`${scope} holds a ${odd.opType} node`);
    const members = new Set(nodes);
    const produced = new Set(nodes.flatMap((node) => node.output ?? []));
    const inputs = new Set(
      nodes.flatMap((node) => node.input ?? []).filter((name) => name && !produced.has(name) && !this.initializers.has(name)),
    );
    const outputs = [...produced].filter(
      (name) => this.graphOutputs.has(name) || (this.consumers.get(name) ?? []).some((consumer) => !members.has(consumer)),
    );
    if (inputs.size !== 1 || outputs.length !== 1) {
      throw notOptimizable(`${scope} has ${inputs.size} activation inputs and ${outputs.length} outputs (expected 1 and 1)`);
    }
    return { nodes, input: [...inputs][0], output: outputs[0] };
  }

  /** The RMSNorm weight under `scope`: the float32 `[hidden]` initializer its last `Mul` (or fused norm) applies. */
  normWeight(scope: string, hidden: number): string {
    const candidates = new Set<string>();
    for (const node of this.byScope.get(scope) ?? []) {
      if (node.opType === 'SimplifiedLayerNormalization') candidates.add(node.input?.[1] ?? '');
      if (node.opType !== 'Mul') continue;
      for (const input of node.input ?? []) {
        const tensor = this.initializers.get(input);
        if (tensor && tensor.dataType === FLOAT && (tensor.dims ?? []).map(Number).join() === String(hidden)) candidates.add(input);
      }
    }
    if (candidates.size !== 1) throw notOptimizable(`${candidates.size} candidate weights for the norm ${scope}`);
    return [...candidates][0];
  }

  /** The `Gather` of a float32 `[vocab, hidden]` initializer by `input_ids`. */
  embedding(hidden: number): { subgraph: Subgraph; vocab: number } {
    const gathers = (this.consumers.get('input_ids') ?? []).filter((node) => node.opType === 'Gather' && node.input?.[1] === 'input_ids');
    const table = gathers.length === 1 ? this.initializers.get(gathers[0].input?.[0] ?? '') : undefined;
    const dims = (table?.dims ?? []).map(Number);
    if (!table || table.dataType !== FLOAT || dims.length !== 2 || dims[1] !== hidden) {
      throw notOptimizable('the embedding is not one float32 Gather of input_ids (quantized embeddings are not rebuilt)');
    }
    return { subgraph: { nodes: gathers, input: 'input_ids', output: gathers[0].output?.[0] ?? '' }, vocab: dims[0] };
  }
}

function domainOf(node: Onnx.INodeProto): string {
  return node.domain === 'ai.onnx' ? '' : (node.domain ?? '');
}

function expectedDomain(opType: string): string {
  return opType === 'MatMulNBits' ? 'com.microsoft' : '';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
