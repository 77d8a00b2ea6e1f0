import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildGenaiGraph } from './build-genai-graph.js';
import { buildOptimumGraph } from './build-optimum-graph.js';
import { genaiConfig, generationConfig, hfConfig } from './config-files.js';
import { createModelWeights } from './create-model-weights.js';
import { GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';
import type { SyntheticModel, SyntheticModelConfig, SyntheticModelOptions } from './types.js';
import { writeTokenizer } from './write-tokenizer.js';

const SUFFIXES = { fp32: '', fp16: '_fp16', q4: '_q4' } as const;
const RMS_NORM_EPS = { llama: 1e-5, qwen2: 1e-6 } as const;
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/**
 * Writes a model folder as a user could have pulled it from the Hub, random weights in a real
 * architecture's shapes: transformers.js layout (`config.json`, `generation_config.json`,
 * tokenizer files, `onnx/model{,_fp16,_q4}.onnx[_data]`) for style optimum, onnxruntime-genai
 * layout (`genai_config.json`, `model.onnx`, `model.onnx.data`, ...) for style genai. Writing
 * another dtype of the same model into the same folder adds that variant beside the first.
 */
export function writeSyntheticModel(dir: string, options: SyntheticModelOptions): SyntheticModel {
  const { arch, style, dtype, shape } = options;
  if (shape.hidden % shape.heads !== 0 || shape.heads % shape.kvHeads !== 0 || (shape.hidden / shape.heads) % 2 !== 0) {
    throw new Error('Synthetic model: hidden must split into heads of even size, and heads into kvHeads groups.');
  }
  const optimum = style === 'optimum';
  mkdirSync(optimum ? join(dir, 'onnx') : dir, { recursive: true });

  const tokenizer = writeTokenizer(dir, options.tokenizer, shape.vocab);
  const config: SyntheticModelConfig = {
    arch,
    layers: shape.layers,
    hidden: shape.hidden,
    heads: shape.heads,
    kvHeads: shape.kvHeads,
    headDim: shape.hidden / shape.heads,
    intermediate: shape.intermediate,
    vocab: shape.vocab ?? tokenizer.size,
    maxPositions: shape.maxPositions ?? 2048,
    ropeTheta: shape.ropeTheta ?? 10000,
    rmsNormEps: RMS_NORM_EPS[arch],
    tieEmbeddings: options.tieEmbeddings ?? shape.tieEmbeddings ?? false,
    qkvBias: arch === 'qwen2',
    bosTokenId: tokenizer.bosTokenId,
    eosTokenIds: tokenizer.eosTokenIds,
    padTokenId: tokenizer.padTokenId,
  };
  const weights = createModelWeights(config, options.seed, options.attentionShare);

  const external = !optimum || (options.externalData ?? false);
  if (!external && dtype !== 'q4' && totalBytes(weights) > PROTOBUF_LIMIT) {
    throw new Error('Synthetic model: weights over 2 GB need externalData: true.');
  }
  const modelName = optimum ? `model${SUFFIXES[dtype]}.onnx` : 'model.onnx';
  const modelFile = optimum ? `onnx/${modelName}` : modelName;
  const dataFile = optimum ? `${modelFile}_data` : `${modelFile}.data`;
  const graph = new GraphBuilder(external ? { path: join(dir, dataFile), location: basename(dataFile) } : null);
  if (optimum) buildOptimumGraph(graph, config, weights, dtype, options.headless);
  else buildGenaiGraph(graph, config, weights, dtype);
  graph.finish(join(dir, modelFile));

  const files = ['tokenizer.json', 'tokenizer_config.json', modelFile, ...(external ? [dataFile] : [])];
  const writeJson = (name: string, value: unknown): void => {
    writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
    files.push(name);
  };
  if (optimum) {
    const externalFiles = { ...previousExternalFiles(dir), [modelName]: external };
    writeJson('config.json', hfConfig(config, Object.fromEntries(Object.entries(externalFiles).filter(([, on]) => on))));
    writeJson('generation_config.json', generationConfig(config));
  } else {
    writeJson('config.json', hfConfig(config, null));
    writeJson('genai_config.json', genaiConfig(config, modelFile));
  }
  return { dir, modelFile, files, config, weights };
}

function totalBytes(weights: ModelWeights): number {
  return weights.names.reduce((bytes, name) => bytes + weights.size(name) * Float32Array.BYTES_PER_ELEMENT, 0);
}

/** The external-data map of a config.json already in `dir`, so that variants written before stay loadable. */
function previousExternalFiles(dir: string): Record<string, boolean> {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return {};
  const json = JSON.parse(readFileSync(path, 'utf8')) as { 'transformers.js_config'?: { use_external_data_format?: unknown } };
  const previous = json['transformers.js_config']?.use_external_data_format;
  return typeof previous === 'object' && previous !== null ? (previous as Record<string, boolean>) : {};
}
