import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../format-bytes.js';
import { buildFusedGraph } from './build-fused-graph.js';
import { findDecoderParts } from './find-decoder-parts.js';
import { isNotOptimizable } from './not-optimizable.js';
import { optimizeCacheKey } from './optimize-cache-key.js';
import { findConfigPath, readDecoderConfig } from './read-decoder-config.js';
import { readOnnxModel } from './read-onnx-model.js';
import { verifyFusedModels } from './verify-fused-model.js';
import { writeFusedModel } from './write-fused-model.js';

/** What to optimize and how. */
export interface OptimizeParams {
  /** Absolute path of the original `.onnx` (external data beside it). */
  modelPath: string;
  /** Where optimized graphs are kept, e.g. `~/.cache/owm/optimized`. */
  cacheDir: string;
  /** Only rewrites that change outputs by float rounding at most: `MatMulNBits` keeps its `accuracy_level`. */
  exact: boolean;
  /**
   * Largest accepted `max|a - b| / max|a|` between the original's and the fused graph's logits.
   * When not exact, the rewrite without the accuracy change is first held to 1e-4 all the same.
   * @default 1e-4 when exact, else `FAST_TOLERANCE`
   */
  tolerance?: number;
}

/** The fused graph to load instead of the original, or why there is none. */
export type OptimizeResult =
  | {
      status: 'optimized' | 'cached';
      /** The fused `.onnx` to load instead (its weights are links to the original's files). */
      modelPath: string;
      /** What was rewritten, one line each. */
      changes: string[];
      /** The check's largest relative logit difference. */
      maxLogitDiff: number;
    }
  | {
      status: 'skipped';
      /** Why: pattern not matched, already fused, unsupported architecture, check failed. */
      reason: string;
    };

/** Bumped whenever the fused graph changes, so that older cache entries are rebuilt. */
export const OPTIMIZER_VERSION = 2;
/**
 * Default tolerance with `accuracy_level=4`. Drift measured on random-weight q4 models: 0.02-0.03
 * (2 layers), 0.085-0.087 (SmolLM2-135M and Qwen2.5-0.5B shapes; 0.13 over 33 greedy steps).
 */
export const FAST_TOLERANCE = 0.2;
const EXACT_TOLERANCE = 1e-4;
const FUSED_FILE = 'model.onnx';
const EXACT_FILE = 'exact.onnx';
const RESULT_FILE = 'result.json';

interface StoredResult {
  version: number;
  /** The original graph, so that removing a model can find the entries linking to its weights. */
  source: string;
  status: 'optimized' | 'skipped';
  changes?: string[];
  maxLogitDiff?: number;
  reason?: string;
}

/**
 * Rewrites a transformers.js / optimum decoder export into the fused onnxruntime-genai form,
 * verifies it against the original on the spot, and caches it (and a refusal, so that it is not
 * retried at every load). Never throws for a graph it cannot rewrite; only I/O errors escape.
 */
export async function optimizeModel(params: OptimizeParams): Promise<OptimizeResult> {
  const tolerance = params.tolerance ?? (params.exact ? EXACT_TOLERANCE : FAST_TOLERANCE);
  let configText: string;
  try {
    configText = readFileSync(findConfigPath(params.modelPath), 'utf8');
  } catch (error) {
    if (isNotOptimizable(error)) return { status: 'skipped', reason: error.message };
    throw error;
  }
  const key = optimizeCacheKey({ modelPath: params.modelPath, configText, exact: params.exact, tolerance, version: OPTIMIZER_VERSION });
  const entry = path.join(params.cacheDir, key);
  const cached = readCachedResult(entry);
  if (cached) return cached;
  if (existsSync(entry)) rmSync(entry, { recursive: true, force: true });

  mkdirSync(params.cacheDir, { recursive: true });
  const temporary = mkdtempSync(path.join(params.cacheDir, `.${key.slice(0, 16)}-`));
  try {
    const stored = { source: params.modelPath, ...(await optimizeInto(temporary, params.modelPath, configText, params.exact, tolerance)) };
    if (stored.status === 'skipped') {
      // A refusal keeps no links: they would pin the original's weights on disk.
      for (const name of readdirSync(temporary)) rmSync(path.join(temporary, name), { force: true });
    }
    writeFileSync(path.join(temporary, RESULT_FILE), `${JSON.stringify(stored, null, 2)}\n`);
    try {
      renameSync(temporary, entry);
    } catch (error) {
      // Another process finished the same entry first: use it.
      const theirs = readCachedResult(entry);
      if (!theirs) throw error;
      rmSync(temporary, { recursive: true, force: true });
      return theirs;
    }
    return toResult(stored, entry, 'optimized');
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}

async function optimizeInto(folder: string, modelPath: string, configText: string, exact: boolean, tolerance: number): Promise<Omit<StoredResult, 'source'>> {
  try {
    const config = readDecoderConfig(configText);
    const parts = findDecoderParts(readOnnxModel(modelPath), config);
    // The rewrite itself is always checked at float-rounding tolerance; the faster accuracy level,
    // a documented kernel trade-off, is then checked against its own looser bound.
    const rewritten = buildFusedGraph(parts, config, { exact: true });
    const fast = exact ? null : buildFusedGraph(parts, config, { exact: false });
    const changesAccuracy = fast !== null && fast.raisedAccuracy > 0;
    const written = writeFusedModel(rewritten.model, folder, changesAccuracy ? EXACT_FILE : FUSED_FILE);
    const candidates = [{ path: written.modelPath, tolerance: exact ? tolerance : EXACT_TOLERANCE }];
    if (fast && changesAccuracy) candidates.push({ path: writeFusedModel(fast.model, folder, FUSED_FILE).modelPath, tolerance });
    const [rewrite, accelerated] = await verifyFusedModels({
      originalPath: modelPath,
      candidates,
      vocab: parts.vocab,
      probePosition: Math.max(0, Math.min(1024, config.maxPositions - 8)),
    });
    if (rewrite.failure) return { version: OPTIMIZER_VERSION, status: 'skipped', reason: `check of the rewrite failed: ${rewrite.failure}` };
    const weights =
      written.copiedBytes > 0
        ? `weights copied (${formatBytes(written.copiedBytes)}): the cache is on another file system than the model`
        : 'weights shared with the original by hard links (nothing copied)';
    if (!fast || !changesAccuracy) {
      return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...rewritten.changes, weights], maxLogitDiff: rewrite.maxLogitDiff };
    }
    if (accelerated?.failure) {
      // The rewrite alone still pays: keep it, without the faster accuracy level.
      renameSync(written.modelPath, path.join(folder, FUSED_FILE));
      const refused = `MatMulNBits accuracy_level 4 refused: ${accelerated.failure}`;
      return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...rewritten.changes, refused, weights], maxLogitDiff: rewrite.maxLogitDiff };
    }
    rmSync(written.modelPath);
    const checked = `rewrite alone checked exact: max relative logit difference ${rewrite.maxLogitDiff.toExponential(1)}`;
    return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...fast.changes, weights, checked], maxLogitDiff: accelerated.maxLogitDiff };
  } catch (error) {
    if (isNotOptimizable(error)) return { version: OPTIMIZER_VERSION, status: 'skipped', reason: error.message };
    throw error;
  }
}

/** The result stored in `entry`, when it is complete and from this optimizer version. */
function readCachedResult(entry: string): OptimizeResult | null {
  let stored: StoredResult;
  try {
    stored = JSON.parse(readFileSync(path.join(entry, RESULT_FILE), 'utf8')) as StoredResult;
  } catch {
    return null;
  }
  if (stored.version !== OPTIMIZER_VERSION) return null;
  if (stored.status === 'optimized' && !existsSync(path.join(entry, FUSED_FILE))) return null;
  return toResult(stored, entry, 'cached');
}

function toResult(stored: StoredResult, entry: string, status: 'optimized' | 'cached'): OptimizeResult {
  if (stored.status === 'skipped') return { status: 'skipped', reason: stored.reason ?? 'unknown' };
  return { status, modelPath: path.join(entry, FUSED_FILE), changes: stored.changes ?? [], maxLogitDiff: stored.maxLogitDiff ?? 0 };
}
