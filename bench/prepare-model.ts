import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import path from 'node:path';
import { formatBytes } from '../src/format-bytes.js';
import { writeSyntheticModel, type ModelShape, type SyntheticModelConfig } from '../test/support/synthetic-model/index.js';
import type { BenchModel } from './bench-models.js';

/** A benchmark model written to disk, ready for every peer. */
export interface PreparedModel {
  model: BenchModel;
  /** The folder a user would point `owm run` at. */
  dir: string;
  /** The ONNX graph, relative to `dir`. */
  modelFile: string;
  config: SyntheticModelConfig;
  /** Seconds spent writing it, 0 when it came from the cache. */
  writeSeconds: number;
}

interface Marker {
  spec: string;
  modelFile: string;
  config: SyntheticModelConfig;
}

const MARKER = 'bench-model.json';
// The writer draws every weight as float32 before quantizing: 6.1 GB peak for Llama-3.2-1B's 1.24 billion.
const WRITER_BYTES_PER_WEIGHT = 5;

/**
 * Writes `model` under `cacheDir/<id>` unless an identical one is already there: random weights
 * take seconds to draw, and the same seed gives the same folder, so reruns reuse it.
 */
export function prepareModel(model: BenchModel, cacheDir: string): PreparedModel {
  const dir = path.join(cacheDir, model.id);
  // The plan decides what is measured, not what is written: changing it keeps the folder.
  const spec = JSON.stringify({ ...model, plan: undefined });
  const markerPath = path.join(dir, MARKER);
  if (existsSync(markerPath)) {
    const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
    if (marker.spec === spec) return { model, dir, modelFile: marker.modelFile, config: marker.config, writeSeconds: 0 };
  }
  const needed = WRITER_BYTES_PER_WEIGHT * weightCount(model.shape);
  if (needed > totalmem()) {
    throw new Error(
      `writing its ${(weightCount(model.shape) / 1e9).toFixed(2)} billion random weights takes about ${formatBytes(needed)} of memory ` +
        `(the synthetic writer holds them all as float32), more than this machine's ${formatBytes(totalmem())}`,
    );
  }
  const started = performance.now();
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const written = writeSyntheticModel(partial, {
    arch: model.arch,
    style: model.style,
    dtype: model.dtype,
    shape: model.shape,
    tokenizer: model.tokenizer,
    seed: model.seed,
    externalData: model.externalData,
  });
  const marker: Marker = { spec, modelFile: written.modelFile, config: written.config };
  writeFileSync(path.join(partial, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { model, dir, modelFile: written.modelFile, config: written.config, writeSeconds: (performance.now() - started) / 1000 };
}

/** Weights of a decoder of `shape` (norms and biases aside); a shape without a vocabulary counts none for it. */
function weightCount(shape: ModelShape): number {
  const headDim = shape.hidden / shape.heads;
  const attention = shape.hidden * headDim * 2 * (shape.heads + shape.kvHeads);
  const mlp = 3 * shape.hidden * shape.intermediate;
  const embeddings = (shape.vocab ?? 0) * shape.hidden * (shape.tieEmbeddings ? 1 : 2);
  return shape.layers * (attention + mlp) + embeddings;
}
