import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../synthetic-model/graph-builder.js';
import { ModelWeights } from '../synthetic-model/model-weights.js';
import { buildEncoderGraph } from './build-encoder-graph.js';
import type { EncoderConfig, SyntheticEncoderOptions } from './types.js';
import { writeSentenceTransformersConfig } from './write-sentence-transformers-config.js';
import { writeWordpieceTokenizer } from './write-wordpiece-tokenizer.js';

/** A folder written by `writeSyntheticEncoder`. */
export interface SyntheticEncoder {
  dir: string;
  /** `onnx/model.onnx`. */
  modelFile: string;
  config: EncoderConfig;
}

/**
 * Writes a sentence-embedding folder in the transformers.js layout, random weights: `config.json`
 * (bert), a WordPiece tokenizer, `onnx/model.onnx`, and optionally the sentence-transformers files.
 */
export function writeSyntheticEncoder(dir: string, options: SyntheticEncoderOptions): SyntheticEncoder {
  const { shape } = options;
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const vocab = writeWordpieceTokenizer(dir, shape.maxPositions);
  const config: EncoderConfig = { ...shape, vocab, tokenTypeIds: options.tokenTypeIds ?? true };
  const graph = new GraphBuilder(null);
  buildEncoderGraph(graph, config, encoderWeights(config, options.seed));
  const modelFile = 'onnx/model.onnx';
  graph.finish(join(dir, modelFile));
  const hfConfig = {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediate,
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    vocab_size: vocab,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfig, null, 2));
  if (options.sentenceTransformers) writeSentenceTransformersConfig(dir, options.sentenceTransformers, shape.hidden);
  return { dir, modelFile, config };
}

/** BERT's parameters, Hugging Face names and `[out, in]` layouts. */
function encoderWeights(config: EncoderConfig, seed: number): ModelWeights {
  const weights = new ModelWeights(seed);
  const add = (name: string, size: number, std: number, mean = 0): void => weights.random(name, size, std, mean);
  const { hidden, intermediate } = config;
  const norm = (name: string): void => {
    add(`${name}.weight`, hidden, 0.1, 1);
    add(`${name}.bias`, hidden, 0.1);
  };
  const dense = (name: string, n: number, k: number): void => {
    add(`${name}.weight`, n * k, 1 / Math.sqrt(k));
    add(`${name}.bias`, n, 0.02);
  };
  add('embeddings.word_embeddings.weight', config.vocab * hidden, 1);
  add('embeddings.position_embeddings.weight', config.maxPositions * hidden, 0.5);
  add('embeddings.token_type_embeddings.weight', 2 * hidden, 0.5);
  norm('embeddings.LayerNorm');
  for (let i = 0; i < config.layers; i++) {
    const w = `encoder.layer.${i}`;
    for (const part of ['query', 'key', 'value']) dense(`${w}.attention.self.${part}`, hidden, hidden);
    dense(`${w}.attention.output.dense`, hidden, hidden);
    norm(`${w}.attention.output.LayerNorm`);
    dense(`${w}.intermediate.dense`, intermediate, hidden);
    dense(`${w}.output.dense`, hidden, intermediate);
    norm(`${w}.output.LayerNorm`);
  }
  return weights;
}
