import path from 'node:path';
import { RegistryError } from '../errors.js';
import type { RepoFile } from '../hub/types.js';
import type { Device, ModelEntry } from './model-entry-schema.js';

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
  const escaped = modelFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}(?:_data|\\.data)(?:_\\d+)?$`);
  return files.map((f) => f.path).filter((p) => pattern.test(p));
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

/** What {@link selectVariant} chooses by. */
export interface SelectVariantOptions {
  /** `org/name` the variants come from, for messages. @default the entry's repo */
  repo?: string;
  /** The device the model will run on. */
  device: Device;
  /** A registry variant name (`q4`, `int4-gpu`) or a detected name; otherwise the device decides. */
  requested?: string;
  /** The registry entry, whose variant names map to files and whose defaults win. */
  entry?: ModelEntry;
}

/** transformers.js dtypes from most to least preferred per device. */
const DTYPE_PREFERENCE: Record<Device, readonly string[]> = {
  cpu: ['q4', 'int8', 'quantized', 'uint8', 'q4f16', 'fp16', 'fp32', 'bnb4'],
  cuda: ['fp16', 'q4f16', 'q4', 'fp32', 'int8', 'quantized', 'uint8', 'bnb4'],
};

/** genai folder precisions from most to least preferred per device. */
const PRECISION_PREFERENCE: Record<Device, readonly string[]> = {
  cpu: ['int4', 'int8', 'fp32', 'fp16', 'bf16'],
  cuda: ['fp16', 'int4', 'bf16', 'fp32', 'int8'],
};

/** Folder tokens of genai builds for execution providers owm does not run. */
const FOREIGN_TARGETS = ['directml', 'dml', 'npu', 'qnn', 'webgpu', 'openvino', 'rocm', 'vitisai'];

/**
 * Chooses the variant to pull: the one requested, else the entry's default for the device, else
 * the best for the device (cpu: int4/q4 first; cuda: fp16 first, genai builds for it first).
 */
export function selectVariant(
  detected: readonly DetectedVariant[],
  options: SelectVariantOptions,
): DetectedVariant {
  const { device, requested, entry } = options;
  const repo = repoOf(options);
  if (detected.length === 0) {
    throw new RegistryError(
      `No ONNX model in ${repo}: owm runs ONNX exports; ` +
        'try an onnx-community/... repo of the same model.',
      { code: 'no-onnx-model' },
    );
  }

  if (requested !== undefined) {
    const specName = findKey(entry?.variants ?? {}, requested);
    if (specName !== undefined) return byRegistryName(detected, options, specName);
    const found = detected.find((v) => v.name.toLowerCase() === requested.toLowerCase());
    if (found !== undefined) return found;
    throw new RegistryError(
      `Variant '${requested}' is not available for ${repo}. Available: ${available(detected, entry)}. ` +
        'Pass --variant with one of them.',
      { code: 'unknown-variant' },
    );
  }

  const defaultName = entry?.default_variant?.[device];
  if (defaultName !== undefined) return byRegistryName(detected, options, defaultName);

  return [...detected].sort(
    (a, b) => preference(a, device) - preference(b, device) || (a.name < b.name ? -1 : 1),
  )[0]!;
}

/** Follows a registry variant name to the detected variant at its path. */
function byRegistryName(
  detected: readonly DetectedVariant[],
  options: SelectVariantOptions,
  name: string,
): DetectedVariant {
  const { entry } = options;
  const repo = repoOf(options);
  const spec = entry?.variants[name];
  const found = spec === undefined ? undefined : detected.find((v) => isAt(v, spec.path));
  if (found !== undefined) return found;
  throw new RegistryError(
    `Variant '${name}' of ${repo} points at '${spec?.path ?? '?'}', which the repo does not have. ` +
      `Available: ${available(detected, entry)}. ` +
      'Pass --variant with one of them, or fix the registry entry.',
    { code: 'variant-missing' },
  );
}

function repoOf(options: SelectVariantOptions): string {
  return options.repo ?? options.entry?.repo ?? 'this repo';
}

function isAt(variant: DetectedVariant, specPath: string): boolean {
  if (!specPath.endsWith('/')) return variant.modelFile === specPath;
  return variant.layout === 'genai' && `${path.posix.dirname(variant.modelFile)}/` === specPath;
}

/** Registry names whose files exist, then detected names no registry name covers. */
function available(detected: readonly DetectedVariant[], entry: ModelEntry | undefined): string {
  const covered = new Set<DetectedVariant>();
  const names: string[] = [];
  for (const [name, spec] of Object.entries(entry?.variants ?? {})) {
    const found = detected.find((v) => isAt(v, spec.path));
    if (found === undefined) continue;
    covered.add(found);
    names.push(name);
  }
  names.push(...detected.filter((v) => !covered.has(v)).map((v) => v.name));
  return names.join(', ');
}

function findKey(record: Record<string, unknown>, wanted: string): string | undefined {
  if (wanted in record) return wanted;
  return Object.keys(record).find((key) => key.toLowerCase() === wanted.toLowerCase());
}

/** Lower is better: genai builds for the device, then transformers.js dtypes, then other builds. */
function preference(variant: DetectedVariant, device: Device): number {
  if (variant.layout === 'transformers.js') {
    const index = DTYPE_PREFERENCE[device].indexOf(variant.name);
    return 100 + (index === -1 ? DTYPE_PREFERENCE[device].length : index);
  }
  const tokens = path.posix.dirname(variant.modelFile).toLowerCase().split(/[/_.-]+/);
  const precisions = PRECISION_PREFERENCE[device];
  const precision = precisions.findIndex((p) => tokens.includes(p));
  const precisionRank = (precision === -1 ? precisions.length : precision) * 2;
  // acc-level-4 builds compute in int8: faster on CPU for the same weights
  const accuracyRank = tokens.join('-').includes('acc-level-4') ? 0 : 1;
  const within = precisionRank + accuracyRank;
  if (FOREIGN_TARGETS.some((t) => tokens.includes(t))) return 400 + within;
  if (tokens.includes('cpu')) return (device === 'cpu' ? 0 : 300) + within;
  if (tokens.includes('cuda') || tokens.includes('gpu')) return (device === 'cuda' ? 0 : 300) + within;
  return 200 + within;
}

/**
 * The name users know a detected variant by: the registry's name for it when the entry maps one
 * (`int4` for a genai folder), else the detected name.
 */
export function variantName(variant: DetectedVariant, entry: ModelEntry | undefined): string {
  const mapped = Object.entries(entry?.variants ?? {}).find(([, spec]) => isAt(variant, spec.path));
  return mapped?.[0] ?? variant.name;
}
