import { parentPort } from 'node:worker_threads';
import { OwmError } from '../errors.js';
import { generateTokens } from './generate-tokens.js';
import { loadDecoder, type LoadedDecoder } from './load-decoder.js';
import type { SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.js';

// The worker owns the ONNX session: session.run blocks its thread for a whole step, which keeps
// the main thread free to print tokens and to react to Ctrl-C at once. It works in token ids
// only: the tokenizer stays on the main thread, which keeps this isolate's heap small (each
// step's outputs are fresh buffers, and garbage collection costs grow with the heap).
const port = parentPort;
if (!port) throw new Error('model-worker must run in a worker thread');

let loaded: LoadedDecoder | undefined;
let stopFlag: Int32Array | undefined;

const send = (reply: WorkerReply): void => port.postMessage(reply);

function serialize(error: unknown): SerializedError {
  if (error instanceof OwmError) return { message: error.message, code: error.code, exitCode: error.exitCode, owm: true };
  const err = error instanceof Error ? error : new Error(String(error));
  return { message: err.message, owm: false, stack: err.stack };
}

port.on('message', (message: WorkerRequest) => {
  void handle(message).catch((error: unknown) => send({ type: 'error', error: serialize(error) }));
});

async function handle(message: WorkerRequest): Promise<void> {
  if (message.type === 'load') {
    stopFlag = new Int32Array(message.stopFlag);
    loaded = await loadDecoder(message.location, message.settings);
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
      },
    });
    return;
  }
  if (!loaded || !stopFlag) throw new Error('generate before load');
  const flag = stopFlag;
  const ids = generateTokens(loaded.decoder, message.plan, () => Atomics.load(flag, 0) !== 0);
  for (;;) {
    const next = await ids.next();
    if (next.done) {
      send({ type: 'done', stats: next.value });
      return;
    }
    send({ type: 'token', id: next.value });
  }
}
