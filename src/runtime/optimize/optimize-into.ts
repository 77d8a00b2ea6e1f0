import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../format-bytes.js';
import { buildFusedGraph } from './build-fused-graph.js';
import { findDecoderParts } from './find-decoder-parts.js';
import { isNotOptimizable } from './not-optimizable.js';
import { EXACT_TOLERANCE, FUSED_FILE, OPTIMIZER_VERSION, type StoredResult } from './optimize-model.js';
import { readDecoderConfig } from './read-decoder-config.js';
import { readOnnxModel } from './read-onnx-model.js';
import { verifyFusedModels } from './verify-fused-model.js';
import { writeFusedModel } from './write-fused-model.js';

const EXACT_FILE = 'exact.onnx';

/**
 * Rewrites the graph at `modelPath` into `folder` (the fused `FUSED_FILE` and links to its
 * weights), checks it against the original, and says what was done or why not.
 */
export async function optimizeInto(folder: string, modelPath: string, configText: string, exact: boolean, tolerance: number): Promise<Omit<StoredResult, 'source'>> {
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
