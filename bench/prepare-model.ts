import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeSyntheticModel, type SyntheticModelConfig } from '../test/support/synthetic-model/index.js';
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

/**
 * Writes `model` under `cacheDir/<id>` unless an identical one is already there: random weights
 * take seconds to draw, and the same seed gives the same folder, so reruns reuse it. The writer
 * draws, quantizes and writes one weight at a time, so its memory follows the largest tensor, not
 * the model (0.9 GB at its peak for the 7B shape): no model is refused for its size.
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
    attentionShare: model.attentionShare,
  });
  const marker: Marker = { spec, modelFile: written.modelFile, config: written.config };
  writeFileSync(path.join(partial, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { model, dir, modelFile: written.modelFile, config: written.config, writeSeconds: (performance.now() - started) / 1000 };
}
