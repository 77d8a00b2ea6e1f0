import * as ort from 'onnxruntime-node';
import { describeError } from '../../errors.js';
import { createSession } from '../create-session.js';
import { float16ToFloat32 } from '../float16.js';
import { readGraphSignature, type GraphSignature } from '../graph-signature.js';
import { KvDecoder } from '../kv-decoder.js';

/** How to check fused graphs against their original. */
export interface VerifyParams {
  originalPath: string;
  /** The graphs to check, each with the largest `max|a - b| / max|a|` accepted between its logits and the original's. */
  candidates: { path: string; tolerance: number }[];
  /** Rows of the embedding: the prompt's ids are spread over them. */
  vocab: number;
  /** Where the far-position probe starts: it runs past an all-zero cache this long, to test the rotary caches far from 0. */
  probePosition: number;
}

/** The outcome for one candidate: the worst relative logit difference seen, and why the check failed if it did. */
export interface Verification {
  maxLogitDiff: number;
  failure?: string;
}

const PROMPT_LENGTH = 8;
const DECODE_STEPS = 4;
const PROBE_LENGTH = 4;

/**
 * Runs the original and then each candidate on the same tokens, one graph in memory at a time: a
 * prompt of ids spread over the vocabulary, four greedy steps (the original's choices fed to all),
 * and a short prompt after a long zero-filled cache. A candidate passes when every step's
 * last-position logits stay within its tolerance of the original's and the greedy token agrees
 * wherever the original's top two are further apart than that tolerance. Stops at the first
 * failure, so the list may be shorter than the candidates.
 */
export async function verifyFusedModels(params: VerifyParams): Promise<Verification[]> {
  const prompt = Array.from({ length: PROMPT_LENGTH }, (_, i) => Math.floor(((i + 0.37) * params.vocab) / PROMPT_LENGTH));
  let expected: { logits: Float32Array[]; tokens: number[] };
  try {
    expected = await runSteps(params.originalPath, prompt, null, params.probePosition);
  } catch (error) {
    return [{ maxLogitDiff: Infinity, failure: `the original graph did not run: ${firstLine(error)}` }];
  }
  const results: Verification[] = [];
  for (const candidate of params.candidates) {
    let actual: Float32Array[];
    try {
      ({ logits: actual } = await runSteps(candidate.path, prompt, expected.tokens, params.probePosition));
    } catch (error) {
      results.push({ maxLogitDiff: Infinity, failure: `the fused graph did not run: ${firstLine(error)}` });
      break;
    }
    const result = compare(expected.logits, actual, candidate.tolerance);
    results.push(result);
    if (result.failure) break;
  }
  return results;
}

function compare(expected: Float32Array[], actual: Float32Array[], tolerance: number): Verification {
  let maxLogitDiff = 0;
  for (let step = 0; step < expected.length; step++) {
    const a = expected[step];
    const b = actual[step];
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < a.length; i++) {
      scale = Math.max(scale, Math.abs(a[i]));
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    const relative = scale === 0 ? diff : diff / scale;
    maxLogitDiff = Math.max(maxLogitDiff, Number.isNaN(relative) ? Infinity : relative);
    const [first, second] = topTwo(a);
    if (argmax(b) !== first && a[first] - a[second] > tolerance * scale) {
      return { maxLogitDiff, failure: `the greedy token differs at step ${step}` };
    }
  }
  if (!(maxLogitDiff <= tolerance)) {
    return { maxLogitDiff, failure: `logits differ by ${maxLogitDiff.toExponential(2)} (relative), above the tolerance ${tolerance}` };
  }
  return { maxLogitDiff };
}

function firstLine(error: unknown): string {
  return describeError(error).split('\n')[0];
}

/** Runs the prompt, the decode steps (argmax tokens unless `forced`), then the probe; returns every step's logits and the tokens fed. */
async function runSteps(
  modelPath: string,
  prompt: number[],
  forced: number[] | null,
  probePosition: number,
): Promise<{ logits: Float32Array[]; tokens: number[] }> {
  const { session } = await createSession(modelPath, { device: 'cpu' });
  try {
    const signature = readGraphSignature(session, modelPath);
    const decoder = new KvDecoder(session, signature);
    const logits: Float32Array[] = [Float32Array.from(await decoder.forward(prompt))];
    const tokens: number[] = [];
    for (let step = 0; step < DECODE_STEPS; step++) {
      const token = forced ? forced[step] : argmax(logits[logits.length - 1]);
      tokens.push(token);
      logits.push(Float32Array.from(await decoder.forward([token])));
    }
    logits.push(await probe(session, signature, prompt.slice(0, PROBE_LENGTH), probePosition));
    return { logits, tokens };
  } finally {
    await session.release();
  }
}

/** The last position's logits for `ids` placed after `pastLength` all-zero cache rows. */
async function probe(session: ort.InferenceSession, signature: GraphSignature, ids: number[], pastLength: number): Promise<Float32Array> {
  const total = pastLength + ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
  };
  if (signature.hasPositionIds) {
    feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(pastLength + i)), [1, ids.length]);
  }
  if (signature.hasNumLogitsToKeep) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  const { kvType, kvHeads, headDim } = signature;
  const size = kvHeads * pastLength * headDim;
  const zeros = new ort.Tensor(kvType, kvType === 'float16' ? new Uint16Array(size) : new Float32Array(size), [1, kvHeads, pastLength, headDim]);
  for (const layer of signature.layers) {
    feeds[layer.pastKey] = zeros;
    feeds[layer.pastValue] = zeros;
  }
  const { logits } = await session.run(feeds, ['logits']);
  const vocab = Number(logits.dims[logits.dims.length - 1]);
  const row = logits.data.length - vocab;
  if (logits.type === 'float16') return float16ToFloat32((logits.data as Uint16Array).subarray(row));
  return Float32Array.from((logits.data as Float32Array).subarray(row));
}

function argmax(values: Float32Array): number {
  return topTwo(values)[0];
}

function topTwo(values: Float32Array): [number, number] {
  let first = 0;
  let second = values.length > 1 ? 1 : 0;
  if (values[second] > values[first]) [first, second] = [second, first];
  for (let i = 2; i < values.length; i++) {
    if (values[i] > values[first]) {
      second = first;
      first = i;
    } else if (values[i] > values[second]) {
      second = i;
    }
  }
  return [first, second];
}
