import { existsSync } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../errors.js';
import { createSession, type CreatedSession, type SessionSettings } from './create-session.js';
import { expectedDevice } from './expected-device.js';
import { optimizeModel, type OptimizeResult } from './optimize/index.js';
import { readGraphSignature, type GraphSignature } from './graph-signature.js';
import { KvDecoder, type KvStrategy } from './kv-decoder.js';
import { readJsonObject } from './read-json-object.js';

/** Where a model's files are: the folder with tokenizer and configs, and the graph inside it. */
export interface ModelLocation {
  /** The variant's folder: the snapshot root (transformers.js layout) or the genai folder. */
  dir: string;
  /** The `.onnx` graph, relative to `dir`. */
  modelFile: string;
}

/** The ONNX side of a model: its session and the decoder that runs it step by step. */
export interface LoadedDecoder {
  session: CreatedSession;
  signature: GraphSignature;
  decoder: KvDecoder;
  /** Another decoder over the same session with a KV cache of its own (one per sequence held at once). */
  createDecoder(): KvDecoder;
  /** Token ids the model accepts: [0, vocabSize). */
  vocabSize: number;
  /** The graph loaded: the model's own, or its fused rewrite. */
  modelPath: string;
  /** What the load-time optimizer did, in words (undefined when it was not asked to run). */
  optimization?: string;
  /** Things the user should know that did not stop the load. */
  warnings: string[];
  loadMs: number;
}

/** Creates the ONNX session of a model folder's graph (its fused rewrite when the optimizer makes one) and its decoder. */
export async function loadDecoder(location: ModelLocation, settings: SessionSettings): Promise<LoadedDecoder> {
  const started = performance.now();
  const modelPath = path.join(location.dir, location.modelFile);
  if (!existsSync(modelPath)) {
    throw new RuntimeError(`The model graph ${modelPath} is missing: pull the model again.`, { code: 'missing-files' });
  }
  const warnings: string[] = [];
  const optimization = settings.optimize && expectedDevice(settings.device) === 'cpu'
    ? await optimizeModel({ modelPath, ...settings.optimize }).catch((error: unknown) => {
        // A full or read-only cache folder costs speed, not the answer: run the graph as published.
        const reason = unwritableReason(error);
        if (!reason) throw error;
        warnings.push(`cannot write the rewritten-graph cache ${settings.optimize?.cacheDir} (${reason}): running the original graph, slower`);
        return undefined;
      })
    : undefined;
  if (settings.optimize?.reblock && expectedDevice(settings.device) !== 'cpu') warnings.push('--reblock re-quantizes for the CPU only: ignored on CUDA');
  const fused = optimization && optimization.status !== 'skipped' ? optimization : undefined;
  const loadedPath = fused?.modelPath ?? modelPath;
  const session = await createSession(loadedPath, settings);
  const signature = readGraphSignature(session.session, location.modelFile);
  const config = await readJsonObject(path.join(location.dir, 'config.json'));
  const configVocab = typeof config?.vocab_size === 'number' ? config.vocab_size : undefined;
  const vocabSize = signature.vocabSize ?? configVocab;
  if (vocabSize === undefined) {
    throw new RuntimeError(`${modelPath} does not say its vocabulary size (no numeric logits shape, no config.json vocab_size).`, {
      code: 'unsupported-graph',
    });
  }
  const strategy = await kvStrategy(location.dir, signature);
  const firstPosition = firstPositionId(config?.model_type);
  const createDecoder = (): KvDecoder => new KvDecoder(session.session, signature, strategy, firstPosition);
  return {
    vocabSize,
    modelPath: loadedPath,
    optimization: describeOptimization(optimization),
    warnings,
    session,
    signature,
    decoder: createDecoder(),
    createDecoder,
    loadMs: performance.now() - started,
  };
}

/**
 * Graphs that return only the new KV rows (owm's fused graphs) append them to buffers of their
 * own. Graphs that take one buffer as both past and present KV share it: onnxruntime-genai says
 * so in genai_config.json (`search.past_present_share_buffer`), for its GroupQueryAttention graphs.
 */
async function kvStrategy(dir: string, signature: GraphSignature): Promise<KvStrategy> {
  if (signature.kvOutputs === 'new-rows') return 'append';
  if (signature.hasPositionIds) return 'grow';
  const genai = await readJsonObject(path.join(dir, 'genai_config.json'));
  const search = genai?.search;
  const shares = typeof search === 'object' && search !== null && (search as Record<string, unknown>).past_present_share_buffer === true;
  return shares ? 'shared' : 'grow';
}

/** The error code of a write that failed for lack of room or rights, else undefined. */
function unwritableReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EDQUOT' ? code : undefined;
}

/** Model types whose position ids start at 1, as transformers.js feeds them. */
const POSITIONS_FROM_ONE = new Set(['gemma3', 'gemma3_text', 'paligemma']);

function firstPositionId(modelType: unknown): number {
  return typeof modelType === 'string' && POSITIONS_FROM_ONE.has(modelType) ? 1 : 0;
}

function describeOptimization(result: OptimizeResult | undefined): string | undefined {
  if (!result) return undefined;
  if (result.status === 'skipped') return `graph not optimized: ${result.reason}`;
  const how = result.status === 'cached' ? 'optimized graph from cache' : 'graph optimized now';
  return `${how} (${result.changes.join('; ')}; max logit difference ${result.maxLogitDiff.toExponential(1)})`;
}
