import { renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../format-bytes.js';
import type { onnx as Onnx } from 'onnx-proto';
import { adaptFusedGraph } from './adapt-fused-graph.js';
import { buildFusedGraph, type FusedGraph } from './build-fused-graph.js';
import { findDecoderParts } from './find-decoder-parts.js';
import { isNotOptimizable, notOptimizable } from './not-optimizable.js';
import { FAST_ACCURACY_LEVEL } from './decoder-outputs.js';
import { EXACT_TOLERANCE, FAST_TOLERANCE, FUSED_FILE, OPTIMIZER_VERSION, REBLOCK_TOLERANCE, REBLOCKED_DATA_FILE, type ReblockSize, type StoredResult } from './optimizer-cache-entry.js';
import { readDecoderConfig } from './read-decoder-config.js';
import { readOnnxModel } from './read-onnx-model.js';
import { verifyFusedModels, type Verification } from './verify-fused-model.js';
import { reblockWeights } from './reblock-weights.js';
import { writeFusedModel } from './write-fused-model.js';

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

/** How far the rewrite may go: `exact` keeps outputs up to float rounding; `reblock` re-quantizes 4-bit weights. */
export interface RewriteOptions {
  exact: boolean;
  /** Bound of the faster accuracy level's check. */
  tolerance: number;
  reblock?: ReblockSize;
}

/** One graph the check runs, in order: each stage builds on the one before and is kept only when it passes. */
interface Stage {
  file: string;
  tolerance: number;
  /** What the graph of this stage does, all stages before it included. */
  changes: string[];
  /** What the check's record calls it. */
  label: string;
  /** What refusing it costs, for the record. */
  refusal: string;
  /** Files of this stage alone, removed when it is refused. */
  ownFiles: string[];
}

/**
 * Rewrites the graph at `modelPath` into `folder` (the fused `FUSED_FILE` and links to its
 * weights), checks it against the original, and says what was done or why not.
 */
export async function optimizeInto(folder: string, modelPath: string, configText: string, options: RewriteOptions): Promise<Omit<StoredResult, 'source'>> {
  try {
    const model = readOnnxModel(modelPath);
    const plan = planRewrite(model, configText);
    // The rewrite itself is checked at float-rounding tolerance; the faster accuracy level, a
    // documented kernel trade-off, is then checked against its own looser bound. A graph whose own
    // MatMulNBits already quantize their activations to int8 (onnxruntime-genai's CPU int4 exports)
    // turns any float reordering before them into rounding flips: its rewrite gets the looser bound.
    const quantized = quantizesActivations(model);
    const { exact, tolerance } = options;
    const rewriteTolerance = quantized ? Math.max(tolerance, FAST_TOLERANCE) : exact ? tolerance : EXACT_TOLERANCE;
    const rewritten = plan.rewrite({ exact: true });
    let copiedBytes = 0;
    const write = (graph: Onnx.IModelProto, file: string): string => {
      const written = writeFusedModel(graph, folder, file);
      copiedBytes += written.copiedBytes;
      return written.modelPath;
    };
    const stages: Stage[] = [
      {
        file: write(rewritten.model, 'rewrite.onnx'),
        tolerance: rewriteTolerance,
        changes: rewritten.changes,
        label: `rewrite alone (${quantized ? 'at the fast tolerance' : 'exact'})`,
        refusal: '',
        ownFiles: [],
      },
    ];
    let last = rewritten;
    const fast = exact ? null : plan.rewrite({ exact: false });
    if (fast && fast.raisedAccuracy > 0) {
      stages.push({
        file: write(fast.model, 'accuracy.onnx'),
        tolerance,
        changes: fast.changes,
        label: `accuracy_level ${FAST_ACCURACY_LEVEL}`,
        refusal: `MatMulNBits accuracy_level ${FAST_ACCURACY_LEVEL} refused`,
        ownFiles: [],
      });
      last = fast;
    }
    if (options.reblock && !exact) {
      const dataPath = path.join(folder, REBLOCKED_DATA_FILE);
      const reblocked = reblockWeights(last.model, dataPath, options.reblock);
      if (reblocked.reblocked > 0) {
        const change = `4-bit weights of ${reblocked.reblocked} MatMulNBits re-quantized into blocks of ${options.reblock} (--reblock; largest relative change of a projection's weights ${reblocked.maxRelativeChange.toFixed(3)})`;
        stages.push({
          file: write(reblocked.model, 'reblocked.onnx'),
          tolerance: REBLOCK_TOLERANCE,
          changes: [...last.changes, change],
          label: 're-blocked weights',
          refusal: `re-blocking into ${options.reblock} refused`,
          ownFiles: [dataPath],
        });
      } else {
        rmSync(dataPath);
      }
    }
    const results = await verifyFusedModels({
      originalPath: modelPath,
      candidates: stages.map((stage) => ({ path: stage.file, tolerance: stage.tolerance })),
      vocab: plan.vocab,
      probePosition: Math.max(0, Math.min(1024, plan.maxPositions - 8)),
    });
    const [rewrite] = results;
    if (!rewrite || rewrite.failure) return { version: OPTIMIZER_VERSION, status: 'skipped', reason: `check of the rewrite failed: ${rewrite?.failure ?? 'no result'}` };
    const passed = results.filter((result) => !result.failure).length;
    const kept = stages[passed - 1]!;
    const refused = results[passed]?.failure ? [`${stages[passed]!.refusal}: ${results[passed]!.failure}`] : [];
    for (const [i, stage] of stages.entries()) {
      if (stage === kept) renameSync(stage.file, path.join(folder, FUSED_FILE));
      else rmSync(stage.file);
      if (i >= passed) for (const file of stage.ownFiles) rmSync(file, { force: true });
    }
    const written = kept.ownFiles.reduce((sum, file) => sum + statSync(file).size, 0);
    const shared = written > 0 ? `re-blocked weights written (${formatBytes(written)}), the others` : 'weights';
    const weights =
      copiedBytes > 0
        ? `${shared} copied (${formatBytes(copiedBytes)}): the cache is on another file system than the model`
        : `${shared} shared with the original by hard links (nothing copied)`;
    const notes = [weights, ...refused];
    if (passed === 1 && quantized) notes.push("checked against the original's own int8 activations (accuracy_level 4) at the fast tolerance");
    for (const [i, stage] of stages.slice(0, passed - 1).entries()) {
      notes.push(`${stage.label} checked: max relative logit difference ${(results[i] as Verification).maxLogitDiff.toExponential(1)}`);
    }
    return { version: OPTIMIZER_VERSION, status: 'optimized', changes: [...kept.changes, ...notes], maxLogitDiff: results[passed - 1]!.maxLogitDiff };
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
