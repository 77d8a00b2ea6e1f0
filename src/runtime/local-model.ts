import { Worker } from 'node:worker_threads';
import { OwmError, RuntimeError } from '../errors.js';
import type { SessionSettings } from './create-session.js';
import { deferred } from './deferred.js';
import { generateText, type GenerationRequest, type GenerationStats } from './generate-text.js';
import type { TokenPlan, TokenRunStats, TokenStream } from './generate-tokens.js';
import type { ModelLocation } from './load-decoder.js';
import type { GenerationDefaults } from './load-generation-config.js';
import { loadTextModel, type TextModel } from './load-text-model.js';
import type { DecoderInfo, SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.js';

/** A running generation: its text pieces as they come, and its statistics at the end. */
export interface Generation extends AsyncIterable<string> {
  /** Asks the model to stop after the current step; the text so far stays valid. */
  stop(): void;
  /** Resolves once the pieces have been read to the end, with the statistics. */
  readonly stats: Promise<GenerationStats>;
}

/** Facts about a loaded model. */
export interface ModelInfo extends DecoderInfo {
  contextLength?: number;
  chatTemplate: boolean;
  eosTokenIds: number[];
  /** Sampling settings from the model's generation_config.json. */
  sampling: GenerationDefaults['sampling'];
  maxNewTokens?: number;
}

/** Starts the thread a model will run in (it imports onnxruntime at once); pass it to `LocalModel.load`, or terminate it. */
export function startModelWorker(): Worker {
  return new Worker(new URL('./model-worker.js', import.meta.url));
}

function deserialize(error: SerializedError): Error {
  if (error.owm) return new OwmError(error.message, { code: error.code, exitCode: error.exitCode });
  const rebuilt = new RuntimeError(`Generation failed: ${error.message}`, { code: 'runtime' });
  rebuilt.stack = error.stack;
  return rebuilt;
}

/**
 * A model loaded in two halves: the ONNX session in a worker thread, which runs the token loop,
 * and the tokenizer and chat template here, which turn messages into ids and ids into text. The
 * halves load at the same time, and this thread can stop a generation without waiting for a step.
 */
export class LocalModel {
  private busy = false;

  private constructor(
    private readonly worker: Worker,
    private readonly text: TextModel,
    readonly info: ModelInfo,
    /** Shared with the worker, which checks it between steps. */
    private readonly stopFlag: Int32Array,
  ) {}

  /**
   * Loads a model: the worker creates the session while this thread loads the tokenizer. `worker`,
   * from `startModelWorker()`, lets its thread boot while the caller was still finding the model.
   */
  static async load(location: ModelLocation, settings: SessionSettings, worker = startModelWorker()): Promise<LocalModel> {
    const started = performance.now();
    const stopFlag = new SharedArrayBuffer(4);
    const decoderLoaded = new Promise<DecoderInfo>((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        if (reply.type === 'loaded') resolve(reply.info);
        else if (reply.type === 'error') reject(deserialize(reply.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.postMessage({ type: 'load', location, settings, stopFlag } satisfies WorkerRequest);
    });
    const [decoder, text] = await Promise.all([decoderLoaded, loadTextModel(location.dir)]).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.removeAllListeners('message');
    worker.removeAllListeners('error');
    const { defaults } = text;
    const info: ModelInfo = {
      ...decoder,
      loadMs: performance.now() - started,
      contextLength: defaults.contextLength,
      chatTemplate: text.chatTemplate !== null,
      eosTokenIds: defaults.eosTokenIds,
      sampling: defaults.sampling,
      maxNewTokens: defaults.maxNewTokens,
    };
    return new LocalModel(worker, text, info, new Int32Array(stopFlag));
  }

  /** Generates a reply; one generation at a time. */
  generate(request: GenerationRequest): Generation {
    if (this.busy) throw new Error('LocalModel.generate called while a generation is running');
    Atomics.store(this.stopFlag, 0, 0);
    const stats = deferred<GenerationStats>();
    stats.promise.catch(() => {});
    const pieces = generateText(this.text, request, (plan) => this.runTokens(plan), stats.resolve);
    return {
      stats: stats.promise,
      stop: () => Atomics.store(this.stopFlag, 0, 1),
      async *[Symbol.asyncIterator]() {
        try {
          yield* pieces;
        } catch (error) {
          stats.reject(error);
          throw error;
        }
      },
    };
  }

  /** Runs the token loop of `plan` in the worker; ids arrive as the worker samples them. */
  private runTokens(plan: TokenPlan): TokenStream {
    this.busy = true;
    const queue: number[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const stats = deferred<TokenRunStats>();
    stats.promise.catch(() => {});

    const finish = (): void => {
      finished = true;
      this.busy = false;
      this.worker.off('message', onMessage);
      this.worker.off('error', onError);
      wake?.();
    };
    const onMessage = (reply: WorkerReply): void => {
      if (reply.type === 'token') {
        queue.push(reply.id);
        wake?.();
      } else if (reply.type === 'done') {
        stats.resolve(reply.stats);
        finish();
      } else if (reply.type === 'error') {
        stats.reject(deserialize(reply.error));
        finish();
      }
    };
    const onError = (error: Error): void => {
      stats.reject(error);
      finish();
    };
    this.worker.on('message', onMessage);
    this.worker.on('error', onError);
    this.worker.postMessage({ type: 'generate', plan } satisfies WorkerRequest);

    return {
      stats: stats.promise,
      stop: () => Atomics.store(this.stopFlag, 0, 1),
      async *[Symbol.asyncIterator]() {
        for (;;) {
          if (queue.length > 0) {
            yield queue.shift() as number;
            continue;
          }
          if (finished) {
            // Ends the ids, or throws the worker's error.
            await stats.promise;
            return;
          }
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
