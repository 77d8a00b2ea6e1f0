import { Worker } from 'node:worker_threads';
import type { EmbeddingSpec } from '../../registry/model-entry-schema.js';
import type { SessionSettings } from '../create-session.js';
import { deferred, type Deferred } from '../deferred.js';
import type { ModelLocation } from '../load-decoder.js';
import { deserializeError } from '../worker-errors.js';
import type { SerializedError } from '../worker-protocol.js';
import type { EmbedOptions, Embeddings, EmbeddingInfo } from './embedding-model.js';

/** What the main thread asks the embedding worker. */
export type EmbedderRequest =
  | { type: 'load'; location: ModelLocation; settings: SessionSettings; spec?: EmbeddingSpec }
  | { type: 'embed'; requestId: number; texts: readonly string[]; options: EmbedOptions }
  | { type: 'dispose' };

/** What it answers. */
export type EmbedderReply =
  | { type: 'loaded'; info: EmbeddingInfo }
  | { type: 'embedded'; requestId: number; embeddings: Embeddings }
  | { type: 'error'; requestId?: number; error: SerializedError }
  | { type: 'disposed' };

/**
 * An embedding model run in a worker thread (as `owm serve` needs: a batch blocks the thread it
 * runs on), with the same `embed` as `EmbeddingModel`.
 */
export class WorkerEmbedder {
  private readonly pending = new Map<number, Deferred<Embeddings>>();
  private nextRequestId = 1;
  private disposed?: Deferred<void>;

  private constructor(
    private readonly worker: Worker,
    readonly info: EmbeddingInfo,
  ) {
    worker.on('message', (reply: EmbedderReply) => this.onReply(reply));
    worker.on('error', (error) => this.failAll(error));
  }

  static async load(location: ModelLocation, settings: SessionSettings, spec?: EmbeddingSpec): Promise<WorkerEmbedder> {
    const worker = new Worker(new URL('./embedding-worker.js', import.meta.url));
    try {
      const info = await new Promise<EmbeddingInfo>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (reply: EmbedderReply) => {
          if (reply.type === 'loaded') resolve(reply.info);
          else if (reply.type === 'error') reject(rebuild(reply.error));
        });
        worker.postMessage({ type: 'load', location, settings, spec } satisfies EmbedderRequest);
      });
      return new WorkerEmbedder(worker, info);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Embeddings> {
    const requestId = this.nextRequestId++;
    const result = deferred<Embeddings>();
    this.pending.set(requestId, result);
    this.worker.postMessage({ type: 'embed', requestId, texts, options } satisfies EmbedderRequest);
    return result.promise;
  }

  /** Frees the session and ends the thread (requests still running finish first: they are ahead in its queue). */
  async dispose(): Promise<void> {
    this.disposed = deferred<void>();
    this.worker.postMessage({ type: 'dispose' } satisfies EmbedderRequest);
    await this.disposed.promise;
    await this.worker.terminate();
  }

  private onReply(reply: EmbedderReply): void {
    if (reply.type === 'disposed') {
      this.disposed?.resolve();
      return;
    }
    if (reply.type === 'loaded') return;
    const requestId = reply.requestId;
    const waiting = requestId === undefined ? undefined : this.pending.get(requestId);
    if (!waiting || requestId === undefined) return;
    this.pending.delete(requestId);
    if (reply.type === 'embedded') waiting.resolve(reply.embeddings);
    else waiting.reject(rebuild(reply.error));
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.disposed?.resolve();
  }
}

const rebuild = (error: SerializedError): Error => deserializeError(error, 'Embedding');
