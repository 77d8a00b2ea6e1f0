import { parentPort } from 'node:worker_threads';
import { OwmError } from '../errors.js';
import { generateText } from './generate-text.js';
import { loadModelFiles, type LoadedModel } from './load-model-files.js';
import type { SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.js';

// The worker owns the ONNX session: session.run blocks its thread for a whole step, which keeps
// the main thread free to print tokens and to react to Ctrl-C at once.
const port = parentPort;
if (!port) throw new Error('model-worker must run in a worker thread');

let model: LoadedModel | undefined;
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
    model = await loadModelFiles(message.location, message.settings);
    send({
      type: 'loaded',
      info: {
        device: model.session.device,
        threads: model.session.threads,
        fallbackReason: model.session.fallbackReason,
        loadMs: model.loadMs,
        contextLength: model.defaults.contextLength,
        chatTemplate: model.chatTemplate !== null,
        eosTokenIds: model.defaults.eosTokenIds,
        sampling: model.defaults.sampling,
        maxNewTokens: model.defaults.maxNewTokens,
        vocabSize: model.vocabSize,
        modelPath: model.modelPath,
        optimization: model.optimization,
      },
    });
    return;
  }
  if (!model || !stopFlag) throw new Error('generate before load');
  const flag = stopFlag;
  const pieces = generateText(model, message.request, () => Atomics.load(flag, 0) !== 0, (stats) => send({ type: 'done', stats }));
  for await (const text of pieces) send({ type: 'text', text });
}
