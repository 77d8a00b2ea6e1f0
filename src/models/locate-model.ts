import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { OwmError } from '../errors.js';
import { listSnapshotFiles } from '../hub/find-cached-snapshot.js';
import { detectVariants } from '../registry/detect-variants.js';
import { selectVariant } from '../registry/select-variant.js';
import type { Device, ModelEntry } from '../registry/model-entry-schema.js';
import type { ModelLocation } from '../runtime/load-decoder.js';

/**
 * True when the user's model argument names a folder on disk rather than a model name: it starts
 * like a path, or a folder of that name exists (as transformers' from_pretrained checks first).
 */
export function looksLikePath(input: string): boolean {
  if (input.startsWith('.') || input.startsWith('/') || input.startsWith('~')) return true;
  try {
    return statSync(input).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds the graph to load in a model folder (a pulled snapshot or a user's own export, in either
 * layout): the variant asked for, else the best one for the device. For the genai layout the
 * location is the variant's own folder, which holds its tokenizer and genai_config.json.
 */
export async function locateModel(
  folder: string,
  options: { variant?: string; entry?: ModelEntry; device: Device },
): Promise<ModelLocation> {
  const dir = path.resolve(folder.replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new OwmError(`${dir} is not a folder: give the path of an ONNX model export, or a model name.`, { code: 'not-found' });
  }
  const files = await listSnapshotFiles(dir);
  const chosen = selectVariant(detectVariants(files), {
    requested: options.variant,
    entry: options.entry,
    device: options.device,
    repo: dir,
  });
  if (chosen.layout === 'genai') {
    const variantDir = path.posix.dirname(chosen.modelFile);
    return { dir: path.join(dir, variantDir), modelFile: path.posix.basename(chosen.modelFile) };
  }
  return { dir, modelFile: chosen.modelFile };
}
