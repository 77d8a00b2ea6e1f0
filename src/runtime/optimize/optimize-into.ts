import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../format-bytes.js';
import type { onnx as Onnx } from 'onnx-proto';
import { adaptFusedGraph } from './adapt-fused-graph.js';
import { buildFusedGraph, type FusedGraph } from './build-fused-graph.js';
import { findDecoderParts } from './find-decoder-parts.js';
import { isNotOptimizable, notOptimizable } from './not-optimizable.js';
import { FAST_ACCURACY_LEVEL } from './decoder-outputs.js';
import { EXACT_TOLERANCE, FAST_TOLERANCE, FUSED_FILE, OPTIMIZER_VERSION, type StoredResult } from './optimizer-cache-entry.js';
import { readDecoderConfig } from './read-decoder-config.js';
import { readOnnxModel } from './read-onnx-model.js';
import { verifyFusedModels } from './verify-fused-model.js';
import { writeFusedModel } from './write-fused-model.js';

const EXACT_FILE = 'exact.onnx';

/** How a graph will be rewritten, and what the check needs to know about it. */
interface RewritePlan {
  rewrite(options: { exact: boolean }): FusedGraph;
  /** Rows of the embedding: the check's prompt ids are spread over them. */
  vocab: number;
  /** Positions the graph supports (its rotary caches' rows). */
  maxPositions: number;
}

/**
 * Graphs already built on GroupQueryAttention (onnxruntime-genai exports) are adapted in place,
 * whatever their architecture; optimum / transformers.js exports of llama-like decoders are rebuilt.
 */
function planRewrite(model: Onnx.IModelProto, configText: string): RewritePlan {
  if (model.graph?.node?.some((node) => node.opType === 'GroupQueryAttention')) {
    const sizes = fusedGraphSizes(model, configText);
    return { rewrite: (options) => adaptFusedGraph(model, options), ...sizes };
  }
  const config = readDecoderConfig(configText);
  const parts = findDecoderParts(model, config);
  return { rewrite: (options) => buildFusedGraph(parts, config, options), vocab: parts.vocab, maxPositions: config.maxPositions };
}

/** Vocabulary and context of an already fused graph: from its logits shape, config.json or genai_config.json. */
function fusedGraphSizes(model: Onnx.IModelProto, configText: string): { vocab: number; maxPositions: number } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(configText) as Record<string, unknown>;
  } catch {
    throw notOptimizable('its config is not valid JSON');
  }
  const genai = (typeof json.model === 'object' && json.model !== null ? json.model : {}) as Record<string, unknown>;
  const logits = model.graph?.output?.find((output) => output.name === 'logits');
  const declared = Number(logits?.type?.tensorType?.shape?.dim?.[2]?.dimValue ?? 0);
  const vocab = declared > 0 ? declared : Number(json.vocab_size ?? genai.vocab_size ?? 0);
  const maxPositions = Number(json.max_position_embeddings ?? genai.context_length ?? 0);
  if (!(vocab > 0) || !(maxPositions > 0)) throw notOptimizable('its config gives no vocabulary size or context length');
  return { vocab, maxPositions };
}

/**
 * Rewrites the graph at `modelPath` into `folder` (the fused `FUSED_FILE` and links to its
 * weights), checks it against the original, and says what was done or why not.
 */
export async function optimizeInto(folder: string, modelPath: string, configText: string, exact: boolean, tolerance: number): Promise<Omit<StoredResult, 'source'>> {
  try {
    const model = readOnnxModel(modelPath);
    const plan = planRewrite(model, configText);
    // The rewrite itself is checked at float-rounding tolerance; the faster accuracy level, a
    // documented kernel trade-off, is then checked against its own looser bound. A graph whose own
    // MatMulNBits already quantize their activations to int8 (onnxruntime-genai's CPU int4 exports)
    // turns any float reordering before them into rounding flips: its rewrite gets the looser bound.
    const quantized = quantizesActivations(model);
    const rewriteTolerance = quantized ? Math.max(tolerance, FAST_TOLERANCE) : exact ? tolerance : EXACT_TOLERANCE;
    const rewritten = plan.rewrite({ exact: true });
    const fast = exact ? null : plan.rewrite({ exact: false });
    const changesAccuracy = fast !== null && fast.raisedAccuracy > 0;
    const written = writeFusedModel(rewritten.model, folder, changesAccuracy ? EXACT_FILE : FUSED_FILE);
    const candidates = [{ path: written.modelPath, tolerance: rewriteTolerance }];
    if (fast && changesAccuracy) candidates.push({ path: writeFusedModel(fast.model, folder, FUSED_FILE).modelPath, tolerance });
    const [rewrite, accelerated] = await verifyFusedModels({
      originalPath: modelPath,
      candidates,
      vocab: plan.vocab,
      probePosition: Math.max(0, Math.min(1024, plan.maxPositions - 8)),
    });
    if (rewrite.failure) return { version: OPTIMIZER_VERSION, status: 'skipped', reason: `check of the rewrite failed: ${rewrite.failure}` };
    const weights =
      written.copiedBytes > 0
        ? `weights copied (${formatBytes(written.copiedBytes)}): the cache is on another file system than the model`
        : 'weights shared with the original by hard links (nothing copied)';
    if (!fast || !changesAccuracy) {
      const bound = quantized ? ["checked against the original's own int8 activations (accuracy_level 4) at the fast tolerance"] : [];
      return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...rewritten.changes, weights, ...bound], maxLogitDiff: rewrite.maxLogitDiff };
    }
    if (accelerated?.failure) {
      // The rewrite alone still pays: keep it, without the faster accuracy level.
      renameSync(written.modelPath, path.join(folder, FUSED_FILE));
      const refused = `MatMulNBits accuracy_level 4 refused: ${accelerated.failure}`;
      return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...rewritten.changes, refused, weights], maxLogitDiff: rewrite.maxLogitDiff };
    }
    rmSync(written.modelPath);
    const checked = `rewrite alone checked ${quantized ? 'at the fast tolerance' : 'exact'}: max relative logit difference ${rewrite.maxLogitDiff.toExponential(1)}`;
    return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...fast.changes, weights, checked], maxLogitDiff: accelerated.maxLogitDiff };
  } catch (error) {
    if (isNotOptimizable(error)) return { version: OPTIMIZER_VERSION, status: 'skipped', reason: error.message };
    throw error;
  }
}

/** True when some `MatMulNBits` of the graph already computes with int8-quantized activations. */
function quantizesActivations(model: Onnx.IModelProto): boolean {
  return (model.graph?.node ?? []).some(
    (node) => node.opType === 'MatMulNBits' && Number(node.attribute?.find((a) => a.name === 'accuracy_level')?.i ?? 0) === FAST_ACCURACY_LEVEL,
  );
}
