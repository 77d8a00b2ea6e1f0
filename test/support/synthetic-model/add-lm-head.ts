import { addLinear } from './add-linear.js';
import type { GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';
import type { SyntheticModelConfig } from './types.js';

/** Adds `lm_head` writing `logits`: a quantized copy of the embedding under q4 when tied, as exporters do. */
export function addLmHead(
  graph: GraphBuilder,
  weights: ModelWeights,
  config: SyntheticModelConfig,
  input: string,
  embedding: string,
  q4: { accuracyLevel?: number } | undefined,
): void {
  const { hidden, vocab } = config;
  if (config.tieEmbeddings && !q4) {
    // ORT folds this Transpose of an initializer at load, so the file holds the matrix once.
    const transposed = graph.op('Transpose', [embedding], { name: '/lm_head/Transpose', attributes: { perm: [1, 0] } });
    graph.op('MatMul', [input, transposed], { name: '/lm_head/MatMul', output: 'logits' });
    return;
  }
  if (config.tieEmbeddings) weights.alias('lm_head.weight', 'model.embed_tokens.weight');
  addLinear(graph, weights, { name: '/lm_head', input, weight: 'lm_head.weight', n: vocab, k: hidden, output: 'logits', q4 });
}
