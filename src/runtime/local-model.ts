import { Worker } from 'node:worker_threads';
import { OwmError, RuntimeError } from '../errors.js';
import type { SessionSettings } from './create-session.js';
import type { GenerationRequest, GenerationStats } from './generate-text.js';
import type { ModelLocation } from './load-model-files.js';
import type { ModelInfo, SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.js';

/** A running generation: its text pieces as they come, and its statistics at the end. */
export interface Generation extends AsyncIterable<string> {
  /** Asks the model to stop after the current step; the text so far stays valid. */
  stop(): void;
  /** Resolves once generation ended, with its statistics. */
  readonly stats: Promise<GenerationStats>;
}

function deserialize(error: SerializedError): Error {
  if (error.owm) return new OwmError(error.message, { code: error.code, exitCode: error.exitCode });
  const rebuilt = new RuntimeError(`Generation failed: ${error.message}`, { code: 'runtime' });
  rebuilt.stack = error.stack;
  return rebuilt;
}

/**
 * A model loaded in a worker thread. Generation happens there; this side receives text pieces
 * and can stop a generation at any time without waiting for the current step.
 */
export class LocalModel {
  private busy = false;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
    /** Shared with the worker, which checks it between steps. */
    private readonly stopFlag: Int32Array,
  ) {}

  /** Starts a worker and loads the model into it. */
  static async load(location: ModelLocation, settings: SessionSettings): Promise<LocalModel> {
    const worker = new Worker(new URL('./model-worker.js', import.meta.url));
    const stopFlag = new SharedArrayBuffer(4);
    const info = await new Promise<ModelInfo>((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        if (reply.type === 'loaded') resolve(reply.info);
        else if (reply.type === 'error') reject(deserialize(reply.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.postMessage({ type: 'load', location, settings, stopFlag } satisfies WorkerRequest);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    return new LocalModel(worker, info, new Int32Array(stopFlag));
  }

  /** Generates a reply; one generation at a time. */
  generate(request: GenerationRequest): Generation {
    if (this.busy) throw new Error('LocalModel.generate called while a generation is running');
    this.busy = true;
    const flag = this.stopFlag;
    Atomics.store(flag, 0, 0);
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: Error | undefined;
    let resolveStats!: (stats: GenerationStats) => void;
    let rejectStats!: (error: Error) => void;
    const stats = new Promise<GenerationStats>((resolve, reject) => {
      resolveStats = resolve;
      rejectStats = reject;
    });
    stats.catch(() => {});

    const finish = (): void => {
      finished = true;
      this.busy = false;
      this.worker.off('message', onMessage);
      this.worker.off('error', onError);
      wake?.();
    };
    const onMessage = (reply: WorkerReply): void => {
      if (reply.type === 'text') queue.push(reply.text);
      else if (reply.type === 'done') {
        resolveStats(reply.stats);
        finish();
      } else if (reply.type === 'error') {
        failure = deserialize(reply.error);
        rejectStats(failure);
        finish();
      }
      wake?.();
    };
    const onError = (error: Error): void => {
      failure = error;
      rejectStats(error);
      finish();
    };
    this.worker.on('message', onMessage);
    this.worker.on('error', onError);
    this.worker.postMessage({ type: 'generate', request } satisfies WorkerRequest);

    return {
      stats,
      stop: () => Atomics.store(flag, 0, 1),
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (queue.length > 0) {
            yield queue.shift() as string;
            continue;
          }
          if (failure) throw failure;
          if (finished) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
    };
  }

  /** Ends the worker and frees the model's memory. */
  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}
