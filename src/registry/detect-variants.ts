import path from 'node:path';
import { isExternalDataOf } from '../external-data-name.js';
import type { RepoFile } from '../hub/types.js';

/** How a repo lays out its ONNX files. */
export type VariantLayout = 'transformers.js' | 'genai';

/** One runnable variant found in a repo tree, with every file it needs. */
export interface DetectedVariant {
  /** `q4`, `fp16`, `fp32`... (transformers.js) or the folder's basename (genai). */
  name: string;
  layout: VariantLayout;
  /** The `.onnx` graph to load. */
  modelFile: string;
  /** Every repo path this variant needs: graph, external data, configs, tokenizer; sorted. */
  files: string[];
  /** Total size of `files`. */
  bytes: number;
}

/** Root files a transformers.js-layout model needs besides its graph (those present are taken). */
const SUPPORT_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
  'chat_template.jinja',
  'chat_template.json',
  // sentence-transformers' pooling and normalization, for embedding models.
  'modules.json',
  '1_Pooling/config.json',
];

/** `onnx/model_q4.onnx`, `onnx/decoder_model_merged_q4.onnx`: a transformers.js text decoder. */
const TRANSFORMERS_JS_GRAPH = /^(onnx\/)?(model|decoder_model_merged)(?:_([a-z0-9]+))?\.onnx$/;

/**
 * Finds the variants a repo offers: transformers.js exports (`onnx/model_<dtype>.onnx` plus its
 * external data) and onnxruntime-genai folders (each folder holding a genai_config.json).
 */
export function detectVariants(files: readonly RepoFile[]): DetectedVariant[] {
  const sizes = new Map(files.map((file) => [file.path, file.size]));
  const variant = (name: string, layout: VariantLayout, modelFile: string, needed: string[]) => {
    const unique = [...new Set(needed)].sort();
    const bytes = unique.reduce((sum, file) => sum + (sizes.get(file) ?? 0), 0);
    return { name, layout, modelFile, files: unique, bytes };
  };

  const genai = genaiFolders(files);
  const genaiDirs = new Set(genai.values());
  const detected: DetectedVariant[] = [];
  for (const [name, modelFile] of transformersJsGraphs(files)) {
    if (genaiDirs.has(parentOf(modelFile))) continue;
    const data = externalDataFiles(files, modelFile);
    const support = SUPPORT_FILES.filter((file) => sizes.has(file));
    detected.push(variant(name, 'transformers.js', modelFile, [modelFile, ...data, ...support]));
  }
  for (const [name, folder] of genai) {
    const inFolder = files.map((f) => f.path).filter((p) => parentOf(p) === folder);
    const modelFile = pickGenaiGraph(inFolder, folder);
    if (modelFile === undefined) continue;
    const rootConfig =
      !inFolder.includes(join(folder, 'config.json')) && sizes.has('config.json') ? ['config.json'] : [];
    detected.push(variant(name, 'genai', modelFile, [...inFolder, ...rootConfig]));
  }
  return detected.sort((a, b) => (a.modelFile < b.modelFile ? -1 : 1));
}

/** dtype → graph; `onnx/` wins over the root and `model*` over `decoder_model_merged*`. */
function transformersJsGraphs(files: readonly RepoFile[]): Map<string, string> {
  const ranked = files
    .map((file) => ({ path: file.path, match: TRANSFORMERS_JS_GRAPH.exec(file.path) }))
    .filter((f): f is { path: string; match: RegExpExecArray } => f.match !== null)
    .map(({ path: p, match }) => ({
      path: p,
      dtype: match[3] ?? 'fp32',
      rank: (match[1] === undefined ? 2 : 0) + (match[2] === 'model' ? 0 : 1),
    }))
    .sort((a, b) => a.rank - b.rank);
  const graphs = new Map<string, string>();
  for (const { dtype, path: p } of ranked) if (!graphs.has(dtype)) graphs.set(dtype, p);
  return graphs;
}

/** `model_q4.onnx_data`, `model_q4.onnx_data_1`, `model_q4.onnx.data`... beside the graph. */
function externalDataFiles(files: readonly RepoFile[], modelFile: string): string[] {
  return files.map((f) => f.path).filter((p) => isExternalDataOf(p, modelFile));
}

/** Variant name → folder of each genai_config.json: the folder's basename, or its path if shared. */
function genaiFolders(files: readonly RepoFile[]): Map<string, string> {
  const folders = files
    .map((f) => f.path)
    .filter((p) => path.posix.basename(p) === 'genai_config.json')
    .map(parentOf);
  const basenames = folders.map((folder) => (folder === '' ? 'default' : path.posix.basename(folder)));
  const named = new Map<string, string>();
  folders.forEach((folder, i) => {
    const basename = basenames[i]!;
    const shared = basenames.indexOf(basename) !== basenames.lastIndexOf(basename);
    named.set(shared ? folder : basename, folder);
  });
  return named;
}

/** A genai folder's decoder: the graph named after the folder or `model.onnx`, else the first. */
function pickGenaiGraph(inFolder: string[], folder: string): string | undefined {
  const graphs = inFolder.filter((p) => p.endsWith('.onnx')).sort();
  const preferred = [join(folder, `${path.posix.basename(folder)}.onnx`), join(folder, 'model.onnx')];
  return preferred.find((p) => graphs.includes(p)) ?? graphs[0];
}

function parentOf(file: string): string {
  const dir = path.posix.dirname(file);
  return dir === '.' ? '' : dir;
}

function join(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}
