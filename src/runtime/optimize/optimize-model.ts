import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isNotOptimizable } from './not-optimizable.js';
import { optimizeCacheKey } from './optimize-cache-key.js';
import { FAST_TOLERANCE, EXACT_TOLERANCE, FUSED_FILE, OPTIMIZER_VERSION, RESULT_FILE, type ReblockSize, type StoredResult } from './optimizer-cache-entry.js';
import { findConfigPath } from './read-decoder-config.js';

/** What to optimize and how. */
export interface OptimizeParams {
  /** Absolute path of the original `.onnx` (external data beside it). */
  modelPath: string;
  /** Where optimized graphs are kept, e.g. `~/.cache/owm/optimized`. */
  cacheDir: string;
  /** Only rewrites that change outputs by float rounding at most: `MatMulNBits` keeps its `accuracy_level`. */
  exact: boolean;
  /** Re-quantize 4-bit weights into blocks of this many (not with `exact`): faster, coarser weights. */
  reblock?: ReblockSize;
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

/**
 * Rewrites a transformers.js / optimum decoder export into the fused onnxruntime-genai form,
 * verifies it against the original on the spot, and caches it (and a refusal, so that it is not
 * retried at every load). Never throws for a graph it cannot rewrite; only I/O errors escape.
 */
export async function optimizeModel(params: OptimizeParams): Promise<OptimizeResult> {
  const tolerance = params.tolerance ?? (params.exact ? EXACT_TOLERANCE : FAST_TOLERANCE);
  // Exact keeps the published weights: a re-blocking asked for with it changes nothing.
  const reblock = params.exact ? undefined : params.reblock;
  let configText: string;
  try {
    configText = readFileSync(findConfigPath(params.modelPath), 'utf8');
  } catch (error) {
    if (isNotOptimizable(error)) return { status: 'skipped', reason: error.message };
    throw error;
  }
  const key = optimizeCacheKey({ modelPath: params.modelPath, configText, exact: params.exact, reblock, tolerance, version: OPTIMIZER_VERSION });
  const entry = path.join(params.cacheDir, key);
  const cached = readCachedResult(entry);
  if (cached) return cached;
  if (existsSync(entry)) rmSync(entry, { recursive: true, force: true });

  mkdirSync(params.cacheDir, { recursive: true });
  const temporary = mkdtempSync(path.join(params.cacheDir, `.${key.slice(0, 16)}-`));
  try {
    // The rewriting code (and its protobuf library) loads only when there is something to rewrite.
    const { optimizeInto } = await import('./optimize-into.js');
    const stored = { source: params.modelPath, ...(await optimizeInto(temporary, params.modelPath, configText, { exact: params.exact, tolerance, reblock })) };
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
