import { existsSync } from 'node:fs';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import type * as EmbeddingModelModule from '../../src/runtime/embedding/embedding-model.js';
import { writeSyntheticEncoder, type EncoderShape } from '../../test/support/synthetic-encoder/index.js';
import { wordpieceVocab } from '../../test/support/synthetic-encoder/write-wordpiece-tokenizer.js';
import { importDist } from '../peers/dist-module.js';
import { WORDS_PER_TEXT, type EmbeddingSpeed } from './embeddings-markdown.js';
import { transformersSessionOptions } from '../peers/transformers-session-options.js';

/** all-MiniLM-L6-v2's shapes: the encoder most people embed with first. */
const MINILM_L6: EncoderShape = { layers: 6, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 512 };

/** Batch sizes and repetitions of one run. */
export interface EmbeddingBenchPlan {
  batches: number[];
  reps: number;
  threads: number;
}

/**
 * owm's `EmbeddingModel` (from dist) against transformers.js' feature-extraction pipeline (mean
 * pooling, normalized, the same session options) on a synthetic all-MiniLM-L6-v2-shaped folder:
 * the median of `reps` interleaved timed calls per batch size, after one warm-up call each.
 */
export async function measureEmbeddings(cacheDir: string, plan: EmbeddingBenchPlan, log: (line: string) => void): Promise<EmbeddingSpeed[]> {
  const dir = path.join(cacheDir, 'minilm-l6-shaped');
  if (!existsSync(path.join(dir, 'onnx', 'model.onnx'))) {
    log('embeddings: writing the synthetic all-MiniLM-L6-v2-shaped encoder');
    writeSyntheticEncoder(dir, { shape: MINILM_L6, seed: 1, sentenceTransformers: { pooling: 'mean', normalize: true } });
  }
  const { EmbeddingModel } = await importDist<typeof EmbeddingModelModule>('runtime/embedding/embedding-model.js');
  const owm = await EmbeddingModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: plan.threads });
  env.allowRemoteModels = false;
  const extractor = await pipeline('feature-extraction', dir, { local_files_only: true, dtype: 'fp32', session_options: transformersSessionOptions(plan.threads) });
  const speeds: EmbeddingSpeed[] = [];
  try {
    for (const count of plan.batches) {
      const texts = shortTexts(count);
      const [owmSeconds, peerSeconds] = await interleavedMedians(plan.reps, [() => owm.embed(texts), () => extractor(texts, { pooling: 'mean', normalize: true })]);
      speeds.push({ texts: count, owm: count / owmSeconds, transformersJs: count / peerSeconds });
      log(`embeddings: ${count} texts: owm ${(count / owmSeconds).toFixed(1)}/s, transformers.js ${(count / peerSeconds).toFixed(1)}/s`);
    }
  } finally {
    await Promise.all([owm.dispose(), extractor.dispose()]);
  }
  return speeds;
}

/** `count` different texts of the tokenizer's words, varied in length around WORDS_PER_TEXT. */
function shortTexts(count: number): string[] {
  const words = wordpieceVocab().filter((token) => /^[a-z]{2,}$/.test(token));
  return Array.from({ length: count }, (_, i) => {
    const length = WORDS_PER_TEXT - 3 + (i % 7);
    return Array.from({ length }, (_, j) => words[(i * 7 + j * 13) % words.length]).join(' ');
  });
}

/** Median seconds of each call over `reps` rounds that run every call once in turn, so a busy moment of the machine slows all alike. */
async function interleavedMedians(reps: number, calls: (() => Promise<unknown>)[]): Promise<number[]> {
  for (const call of calls) await call();
  const times = calls.map((): number[] => []);
  for (let i = 0; i < reps; i++) {
    for (const [index, call] of calls.entries()) {
      const started = performance.now();
      await call();
      times[index]?.push((performance.now() - started) / 1000);
    }
  }
  return times.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)] as number);
}
