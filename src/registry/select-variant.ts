import path from 'node:path';
import { RegistryError } from '../errors.js';
import type { DetectedVariant } from './detect-variants.js';
import type { Device, ModelEntry } from './model-entry-schema.js';

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
