import { parentPort } from 'node:worker_threads';
import { BatchedDecoder, type BatchedSequence } from './batched-decoder.js';
import { generateTokens, type SampledToken, type TokenPlan, type TokenRunStats } from './generate-tokens.js';
import { GrammarCompilers } from './grammar/grammar-compilers.js';
import type { KvDecoder } from './kv-decoder.js';
import { loadDecoder, type LoadedDecoder } from './load-decoder.js';
import type { SequenceDecoder } from './sequence-decoder.js';
import { serializeError } from './worker-errors.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

// The worker owns the ONNX session: session.run blocks its thread for a whole step, which keeps
// the main thread free to print tokens and to react to Ctrl-C at once. It works in token ids
// only: the tokenizer stays on the main thread, which keeps this isolate's heap small (each
// step's outputs are fresh buffers, and garbage collection costs grow with the heap).
//
// Several sequences can run at once, each on its own slot (a KV cache of its own over the one
// session). With owm's fused graphs and batching asked for, every loop runs on its own and a
// BatchedDecoder advances them together, one forward pass per step for all of them; otherwise
// `stepAll` takes one step of each in turn, so their tokens stream together.
const port = parentPort;
if (!port) throw new Error('model-worker must run in a worker thread');

/** A token loop in progress. */
interface Running {
  requestId: number;
  tokens: AsyncGenerator<SampledToken, TokenRunStats>;
}

let loaded: LoadedDecoder | undefined;
let grammars: GrammarCompilers | undefined;
const slots = new Map<number, KvDecoder>();
let batch: BatchedDecoder | undefined;
const running: Running[] = [];
let stepping = false;
/** Loops running on their own over the batch. */
let batchedLoops = 0;
let unloadRequested = false;

const send = (reply: WorkerReply): void => port.postMessage(reply);

port.on('message', (message: WorkerRequest) => {
  void handle(message).catch((error: unknown) => send({ type: 'error', error: serializeError(error) }));
});

async function handle(message: WorkerRequest): Promise<void> {
  if (message.type === 'load') {
    loaded = await loadDecoder(message.location, message.settings);
    grammars = new GrammarCompilers(message.location.dir, loaded.vocabSize);
    slots.set(0, loaded.decoder);
    batch = message.batching && BatchedDecoder.supports(loaded.signature) ? new BatchedDecoder(loaded.session.session, loaded.signature) : undefined;
    send({
      type: 'loaded',
      info: {
        device: loaded.session.device,
        threads: loaded.session.threads,
        fallbackReason: loaded.session.fallbackReason,
        loadMs: loaded.loadMs,
        vocabSize: loaded.vocabSize,
        modelPath: loaded.modelPath,
        optimization: loaded.optimization,
        warnings: loaded.warnings,
        batching: batch !== undefined,
      },
    });
    return;
  }
  if (message.type === 'unload') {
    unloadRequested = true;
    if (idle()) await unload();
    return;
  }
  if (!loaded) throw new Error('generate before load');
  const flag = new Int32Array(message.stopFlag);
  const shouldStop = (): boolean => Atomics.load(flag, 0) !== 0;
  if (batch) {
    await runBatched(message.requestId, batch.sequence(message.slot), message.plan, shouldStop);
    return;
  }
  const tokens = constrainedTokens(slotDecoder(loaded, message.slot), message.plan, shouldStop);
  running.push({ requestId: message.requestId, tokens });
  if (!stepping) await stepAll();
}

/** True when no token loop runs. */
function idle(): boolean {
  return !stepping && batchedLoops === 0;
}

/** Runs one loop to its end on its own; its steps wait for the batch's. */
async function runBatched(requestId: number, sequence: BatchedSequence, plan: TokenPlan, shouldStop: () => boolean): Promise<void> {
  batchedLoops++;
  const loop = { requestId, tokens: constrainedTokens(sequence, plan, shouldStop) };
  try {
    while (await step(loop));
  } finally {
    sequence.leave();
    batchedLoops--;
  }
  if (unloadRequested && idle()) await unload();
}

/** The token loop of `plan`, under its grammar when it has one (compiled when the loop starts). */
async function* constrainedTokens(decoder: SequenceDecoder, plan: TokenPlan, shouldStop: () => boolean): AsyncGenerator<SampledToken, TokenRunStats> {
  const constraint = plan.grammar && grammars ? await grammars.constrain(plan.grammar, plan.eosTokenIds) : undefined;
  try {
    return yield* generateTokens(decoder, plan, shouldStop, constraint);
  } finally {
    constraint?.dispose();
  }
}

/** The decoder of `slot`: every slot shares the session and keeps its own KV cache. */
function slotDecoder(model: LoadedDecoder, slot: number): KvDecoder {
  let decoder = slots.get(slot);
  if (!decoder) {
    decoder = model.createDecoder();
    slots.set(slot, decoder);
  }
  return decoder;
}

/** Takes one step of every running loop in turn until none is left. */
async function stepAll(): Promise<void> {
  stepping = true;
  try {
    while (running.length > 0) {
      for (const loop of [...running]) {
        if (!(await step(loop))) running.splice(running.indexOf(loop), 1);
      }
    }
  } finally {
    stepping = false;
  }
  if (unloadRequested && idle()) await unload();
}

/** Takes one step of `loop` and reports it; false once the loop has ended (done or failed). */
async function step(loop: Running): Promise<boolean> {
  try {
    const next = await loop.tokens.next();
    if (!next.done) {
      send({ type: 'token', requestId: loop.requestId, token: next.value });
      return true;
    }
    send({ type: 'done', requestId: loop.requestId, stats: next.value });
  } catch (error) {
    send({ type: 'error', requestId: loop.requestId, error: serializeError(error) });
  }
  return false;
}

async function unload(): Promise<void> {
  slots.clear();
  batch = undefined;
  grammars = undefined;
  await loaded?.session.session.release();
  loaded = undefined;
  send({ type: 'unloaded' });
}
