import { parentPort } from 'node:worker_threads';
import { serializeError } from '../worker-errors.js';
import { EmbeddingModel } from './embedding-model.js';
import type { EmbedderReply, EmbedderRequest } from './worker-embedder.js';

// An embedding model in a thread of its own, for the server: session.run blocks the thread it runs
// on for a whole batch, and the server's thread must keep streaming other requests' tokens.
const port = parentPort;
if (!port) throw new Error('embedding-worker must run in a worker thread');

let model: EmbeddingModel | undefined;

port.on('message', (message: EmbedderRequest) => {
  void handle(message).catch((error: unknown) => {
    const reply: EmbedderReply = { type: 'error', requestId: message.type === 'embed' ? message.requestId : undefined, error: serializeError(error) };
    port.postMessage(reply);
  });
});

async function handle(message: EmbedderRequest): Promise<void> {
  if (message.type === 'load') {
    model = await EmbeddingModel.load(message.location, message.settings, message.spec);
    port?.postMessage({ type: 'loaded', info: model.info } satisfies EmbedderReply);
    return;
  }
  if (message.type === 'dispose') {
    await model?.dispose();
    model = undefined;
    port?.postMessage({ type: 'disposed' } satisfies EmbedderReply);
    return;
  }
  if (!model) throw new Error('embed before load');
  const embeddings = await model.embed(message.texts, message.options);
  port?.postMessage({ type: 'embedded', requestId: message.requestId, embeddings } satisfies EmbedderReply);
}
