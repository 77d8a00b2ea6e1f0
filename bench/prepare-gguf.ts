import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { createModelWeights } from '../test/support/synthetic-model/index.js';
import type * as WriteGgufModule from './llama-cpp/write-gguf.js';
import type { HfTokenizerJson } from './llama-cpp/types.js';
import type { PreparedModel } from './prepare-model.js';

/** A GGUF file of a benchmark model's weights, or why there is none. */
export type PreparedGguf = { path: string } | { error: string };

/**
 * Writes the model's weights (same seed, so the same numbers as the ONNX graph's) as a GGUF file
 * in `<cache>/gguf/` (outside the model folder, which must look as pulled), F32 or Q4_0 to match
 * its precision; reuses one written before.
 */
export async function prepareGguf(prepared: PreparedModel): Promise<PreparedGguf> {
  const folder = path.join(path.dirname(prepared.dir), 'gguf');
  const file = path.join(folder, `${prepared.model.id}-${prepared.model.ggufType.toLowerCase()}.gguf`);
  if (existsSync(file)) return { path: file };
  try {
    const { writeGguf } = (await import('./llama-cpp/write-gguf.js')) as typeof WriteGgufModule;
    const tokenizerJson = JSON.parse(readFileSync(path.join(prepared.dir, 'tokenizer.json'), 'utf8')) as HfTokenizerJson;
    mkdirSync(folder, { recursive: true });
    const partial = `${file}.partial`;
    writeGguf(partial, {
      config: prepared.config,
      weights: createModelWeights(prepared.config, prepared.model.seed),
      tokenizerJson,
      type: prepared.model.ggufType,
    });
    renameSync(partial, file);
    return { path: file };
  } catch (error) {
    return { error: `no GGUF: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
