import { addLinear } from '../synthetic-model/add-linear.js';
import { DataType, type GraphBuilder } from '../synthetic-model/graph-builder.js';
import type { ModelWeights } from '../synthetic-model/model-weights.js';
import { requireWeight } from '../synthetic-model/require-weight.js';
import type { EncoderConfig } from './types.js';

// torch.finfo(float32).min, the value Hugging Face's BERT adds to padded keys' scores.
const MASK_MIN = -3.4028234663852886e38;
const LAYER_NORM_EPS = 1e-12;

/**
 * Adds a BERT encoder as optimum exports `BertModel`: word, position and token-type embeddings,
 * post-norm layers of multi-head attention (padded keys masked) and a GELU MLP, `last_hidden_state` out.
 */
export function buildEncoderGraph(graph: GraphBuilder, config: EncoderConfig, weights: ModelWeights): void {
  const { hidden, heads, intermediate } = config;
  const headDim = hidden / heads;
  const linear = (name: string, input: string, weight: string, n: number, k: number): string =>
    addLinear(graph, weights, { name, input, weight: `${weight}.weight`, bias: `${weight}.bias`, n, k });
  const table = (name: string, rows: number): string => graph.initializer(name, DataType.FLOAT, [rows, hidden], requireWeight(weights, name));

  const inputIds = graph.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const attentionMask = graph.input('attention_mask', DataType.INT64, ['batch_size', 'sequence_length']);
  const embed = graph.at('/embeddings');
  const seq = embed('Gather', [embed('Shape', [inputIds]), graph.int64([1], [])], { axis: 0 });
  const positions = embed('Range', [graph.int64([0], []), seq, graph.int64([1], [])]);
  let x = embed('Add', [
    embed('Gather', [table('embeddings.word_embeddings.weight', config.vocab), inputIds]),
    embed('Gather', [table('embeddings.position_embeddings.weight', config.maxPositions), positions]),
  ]);
  if (config.tokenTypeIds) {
    const tokenTypeIds = graph.input('token_type_ids', DataType.INT64, ['batch_size', 'sequence_length']);
    x = embed('Add', [x, embed('Gather', [table('embeddings.token_type_embeddings.weight', 2), tokenTypeIds])]);
  }
  x = layerNorm(graph, '/embeddings/LayerNorm', x, weights, 'embeddings.LayerNorm', hidden);

  const maskOp = graph.at('/extended_mask');
  const keep = maskOp('Cast', [attentionMask], { to: DataType.FLOAT });
  const mask = maskOp('Unsqueeze', [maskOp('Mul', [maskOp('Sub', [graph.float([1], []), keep]), graph.float([MASK_MIN], [])]), graph.int64([1, 2])]);

  for (let i = 0; i < config.layers; i++) {
    const p = `/encoder/layer.${i}`;
    const w = `encoder.layer.${i}`;
    const attn = graph.at(`${p}/attention/self`);
    const toHeads = (t: string): string => attn('Transpose', [attn('Reshape', [t, graph.int64([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
    const q = toHeads(linear(`${p}/attention/self/query`, x, `${w}.attention.self.query`, hidden, hidden));
    const k = toHeads(linear(`${p}/attention/self/key`, x, `${w}.attention.self.key`, hidden, hidden));
    const v = toHeads(linear(`${p}/attention/self/value`, x, `${w}.attention.self.value`, hidden, hidden));
    const scores = attn('Mul', [attn('MatMul', [q, attn('Transpose', [k], { perm: [0, 1, 3, 2] })]), graph.float([1 / Math.sqrt(headDim)], [])]);
    const probs = attn('Softmax', [attn('Add', [scores, mask])], { axis: -1 });
    const context = attn('Reshape', [attn('Transpose', [attn('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), graph.int64([0, 0, hidden])]);
    const attended = linear(`${p}/attention/output/dense`, context, `${w}.attention.output.dense`, hidden, hidden);
    x = layerNorm(graph, `${p}/attention/output/LayerNorm`, graph.at(p)('Add', [x, attended]), weights, `${w}.attention.output.LayerNorm`, hidden);

    const mlp = graph.at(`${p}/intermediate`);
    const up = linear(`${p}/intermediate/dense`, x, `${w}.intermediate.dense`, intermediate, hidden);
    // Exact GELU: x · (1 + erf(x / √2)) / 2.
    const gelu = mlp('Mul', [mlp('Mul', [up, mlp('Add', [mlp('Erf', [mlp('Div', [up, graph.float([Math.SQRT2], [])])]), graph.float([1], [])])]), graph.float([0.5], [])]);
    const down = linear(`${p}/output/dense`, gelu, `${w}.output.dense`, hidden, intermediate);
    x = layerNorm(graph, `${p}/output/LayerNorm`, graph.at(p)('Add', [x, down]), weights, `${w}.output.LayerNorm`, hidden);
  }
  graph.op('Identity', [x], { name: '/last_hidden_state', output: 'last_hidden_state' });
  graph.output('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', hidden]);
}

function layerNorm(graph: GraphBuilder, scope: string, input: string, weights: ModelWeights, name: string, hidden: number): string {
  const gamma = graph.initializer(`${name}.weight`, DataType.FLOAT, [hidden], requireWeight(weights, `${name}.weight`));
  const beta = graph.initializer(`${name}.bias`, DataType.FLOAT, [hidden], requireWeight(weights, `${name}.bias`));
  return graph.op('LayerNormalization', [input, gamma, beta], { name: `${scope}/LayerNormalization`, attributes: { axis: -1, epsilon: { float: LAYER_NORM_EPS } } });
}
