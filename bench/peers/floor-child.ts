import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { createSession } from '../../src/runtime/create-session.js';
import { PRESENT_ROWS_PREFIX } from '../../src/runtime/graph-signature.js';
import { childMain } from './child-main.js';
import { measurePlan } from './measure-plan.js';
import type { TimedGeneration } from './peer-protocol.js';

// The floor: prefill, then one token per run, argmax, nothing else, on a session created with
// owm's own options. `options.graph` names the graph owm loaded, when it optimized one.
await childMain('floor', async (request, log) => {
  const graph = request.options?.graph ?? path.join(request.dir, request.modelFile);
  const started = performance.now();
  const { session } = await createSession(graph, { device: 'cpu', threads: request.threads });
  const loadMs = performance.now() - started;
  const results = await measurePlan(request.plan, (promptIds, genTokens) => greedy(session, promptIds, genTokens), log);
  await session.release();
  return { loadMs, ...results, notes: [`loaded ${graph}`] };
});

async function greedy(session: ort.InferenceSession, promptIds: number[], genTokens: number): Promise<TimedGeneration> {
  const started = performance.now();
  let firstAt = 0;
  // owm's fused graphs return only the new KV rows: the cache then lives in buffers sized here.
  const rowsOnly = session.outputNames.includes(`${PRESENT_ROWS_PREFIX}.0.key`);
  const capacity = rowsOnly ? promptIds.length + genTokens : 0;
  const past = emptyPast(session, capacity);
  const tokenIds: number[] = [];
  let fed = promptIds;
  let pastLength = 0;
  while (tokenIds.length < genTokens) {
    const total = pastLength + fed.length;
    const feeds: Record<string, ort.Tensor> = { ...past, input_ids: int64(fed, [1, fed.length]) };
    if (session.inputNames.includes('attention_mask')) feeds.attention_mask = int64(new Array<number>(total).fill(1), [1, total]);
    if (session.inputNames.includes('position_ids')) feeds.position_ids = int64(fed.map((_, i) => pastLength + i), [1, fed.length]);
    if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const outputs = await session.run(feeds);
    const token = argmaxLastRow(outputs.logits);
    if (tokenIds.length === 0) firstAt = performance.now();
    tokenIds.push(token);
    for (const name of Object.keys(past)) {
      if (rowsOnly) appendRows(past[name], outputs[name.replace('past_key_values.', `${PRESENT_ROWS_PREFIX}.`)], pastLength);
      else past[name] = outputs[name.replace('past_key_values.', 'present.')];
    }
    pastLength = total;
    fed = [token];
  }
  return { ttftMs: firstAt - started, decodeMs: performance.now() - firstAt, generatedTokens: tokenIds.length, tokenIds };
}

function emptyPast(session: ort.InferenceSession, capacity: number): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue;
    const [, heads, , headDim] = meta.shape as number[];
    const size = heads * capacity * headDim;
    const data = meta.type === 'float16' ? new Uint16Array(size) : new Float32Array(size);
    past[meta.name] = new ort.Tensor(meta.type as 'float32' | 'float16', data, [1, heads, capacity, headDim]);
  }
  return past;
}

/** Copies new rows [1, heads, fed, headDim] into a [1, heads, capacity, headDim] cache after `pastLength` rows. */
function appendRows(cache: ort.Tensor, rows: ort.Tensor, pastLength: number): void {
  const [, heads, capacity, headDim] = cache.dims;
  const block = rows.dims[2] * headDim;
  const target = cache.data as Float32Array;
  for (let head = 0; head < heads; head++) {
    target.set((rows.data as Float32Array).subarray(head * block, (head + 1) * block), (head * capacity + pastLength) * headDim);
  }
}

function int64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
}

function argmaxLastRow(logits: ort.Tensor): number {
  if (logits.type !== 'float32') throw new Error(`floor: logits of type ${logits.type} are not supported`);
  const vocab = Number(logits.dims[logits.dims.length - 1]);
  const data = logits.data as Float32Array;
  const start = data.length - vocab;
  let best = start;
  for (let i = start + 1; i < data.length; i++) if (data[i] > data[best]) best = i;
  return best - start;
}
