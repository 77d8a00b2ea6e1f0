import { Worker } from 'node:worker_threads';
import { OwmError, RuntimeError } from '../errors.js';
import type { SessionSettings } from './create-session.js';
import { deferred, type Deferred } from './deferred.js';
import { generateText, type GenerationRequest } from './generate-text.js';
import { createGeneration, type GenerateOptions, type Generation, type TextGenerator } from './generation.js';
import type { SampledToken, TokenPlan, TokenRunStats, TokenStream } from './generate-tokens.js';
import type { ModelLocation } from './load-decoder.js';
import type { GenerationDefaults } from './load-generation-config.js';
import { loadTextModel, type TextModel } from './load-text-model.js';
import { SlotPool, type SlotTicket } from './slot-pool.js';
import { deserializeError } from './worker-errors.js';
import type { DecoderInfo, SerializedError, WorkerReply, WorkerRequest } from './worker-protocol.js';

/** Facts about a loaded model. */
export interface ModelInfo extends DecoderInfo {
  contextLength?: number;
  chatTemplate: boolean;
  eosTokenIds: number[];
  /** Sampling settings from the model's generation_config.json. */
  sampling: GenerationDefaults['sampling'];
  maxNewTokens?: number;
}

/** How many requests a loaded model serves at once. */
export interface Concurrency {
  /** Sequences held at once, each with a KV cache of its own. @default 1 */
  parallel?: number;
  /** Requests that may wait for a free sequence; more are refused at once. @default unbounded */
  maxQueue?: number;
  /**
   * Advance the sequences in flight together, one forward pass per step for all of them (owm's
   * fused graphs only; others take one step of each in turn). @default true
   */
  batching?: boolean;
}

/** Starts the thread a model will run in (it imports onnxruntime at once); pass it to `LocalModel.load`, or terminate it. */
export function startModelWorker(): Worker {
  return new Worker(new URL('./model-worker.js', import.meta.url));
}

const deserialize = (error: SerializedError): Error => deserializeError(error, 'Generation');

/** What the main thread keeps of a token loop running in the worker. */
interface RunningLoop {
  onReply(reply: WorkerReply): void;
  /** Ends the loop with `error` (the worker broke). */
  fail(error: Error): void;
  stop(): void;
  ended: Promise<unknown>;
}

/**
 * A model loaded in two halves: the ONNX session in a worker thread, which runs the token loops,
 * and the tokenizer and chat template here, which turn messages into ids and ids into text. The
 * halves load at the same time, and this thread can stop a generation without waiting for a step.
 *
 * Requests are queued for `parallel` slots (sequences with a KV cache each, stepped together or in
 * turn by the worker); each can be stopped on its own, and `dispose` ends them cleanly before freeing the session.
 */
export class LocalModel implements TextGenerator {
  private readonly loops = new Map<number, RunningLoop>();
  private readonly pool: SlotPool;
  private nextRequestId = 1;
  private closing?: Promise<void>;
  private unloaded?: Deferred<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly text: TextModel,
    readonly info: ModelInfo,
    concurrency: Concurrency,
  ) {
    this.pool = new SlotPool(Math.max(1, concurrency.parallel ?? 1), concurrency.maxQueue ?? Number.POSITIVE_INFINITY);
    worker.on('message', (reply: WorkerReply) => this.dispatch(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => this.failAll(new RuntimeError('The model worker ended unexpectedly.', { code: 'runtime' })));
  }

  /**
   * Loads a model: the worker creates the session while this thread loads the tokenizer. `worker`,
   * from `startModelWorker()`, lets its thread boot while the caller was still finding the model.
   */
  static async load(
    location: ModelLocation,
    settings: SessionSettings,
    options: Concurrency & { worker?: Worker } = {},
  ): Promise<LocalModel> {
    const started = performance.now();
    const worker = options.worker ?? startModelWorker();
    const decoderLoaded = new Promise<DecoderInfo>((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        if (reply.type === 'loaded') resolve(reply.info);
        else if (reply.type === 'error') reject(deserialize(reply.error));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      const batching = (options.batching ?? true) && (options.parallel ?? 1) > 1;
      worker.postMessage({ type: 'load', location, settings, batching } satisfies WorkerRequest);
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
    return new LocalModel(worker, text, info, options);
  }

  /** The tokenizer, chat template and defaults this model's requests are encoded with. */
  get textModel(): TextModel {
    return this.text;
  }

  /** Requests generating now, and waiting for a slot. */
  get load(): { running: number; queued: number } {
    return { running: this.pool.running, queued: this.pool.queued };
  }

  /**
   * Starts a reply: it waits for a free slot, then streams. Throws a `queue-full` error at once when
   * the slots and the queue are full, and an `unloaded` error once the model is being disposed.
   */
  generate(request: GenerationRequest, options: GenerateOptions = {}): Generation {
    if (this.closing) throw unloadedError();
    const ticket = this.pool.admit();
    const tokens: SampledToken[] = [];
    return createGeneration(
      {
        run: (signal, onDone) =>
          generateText(this.text, request, (plan) => this.runTokens(plan, ticket, signal), { onToken: (token) => tokens.push(token), onDone }),
        tokens,
        // A request that never reached the token loop (a prompt too long) gives its place back here.
        finally: () => ticket.release(),
      },
      options.signal,
    );
  }

  /** Runs the token loop of `plan` on a slot of the worker; ids arrive as the worker samples them. */
  private runTokens(plan: TokenPlan, ticket: SlotTicket, signal: AbortSignal): TokenStream {
    const requestId = this.nextRequestId++;
    const received: SampledToken[] = [];
    const stats = deferred<TokenRunStats>();
    stats.promise.catch(() => {});
    const stopFlag = new Int32Array(new SharedArrayBuffer(4));
    const stop = (): void => {
      Atomics.store(stopFlag, 0, 1);
    };
    let wake: (() => void) | undefined;
    let finished = false;

    const finish = (): void => {
      finished = true;
      this.loops.delete(requestId);
      ticket.release([...plan.promptIds, ...received.map((token) => token.id)]);
      wake?.();
    };
    const loop: RunningLoop = {
      stop,
      ended: stats.promise.catch(() => {}),
      fail: (error) => {
        stats.reject(error);
        finish();
      },
      onReply: (reply) => {
        if (reply.type === 'token') {
          received.push(reply.token);
          wake?.();
        } else if (reply.type === 'done') {
          stats.resolve(reply.stats);
          finish();
        } else if (reply.type === 'error') {
          loop.fail(deserialize(reply.error));
        }
      },
    };
    const fail = (error: unknown): void => {
      stats.reject(error);
      finished = true;
      ticket.release();
    };
    const model = this;

    return {
      stats: stats.promise,
      stop,
      async *[Symbol.asyncIterator]() {
        try {
          const slot = await ticket.acquire(plan.promptIds, signal);
          if (model.closing) throw unloadedError();
          if (signal.aborted) stop();
          else signal.addEventListener('abort', stop, { once: true });
          model.loops.set(requestId, loop);
          model.worker.postMessage({ type: 'generate', requestId, slot, plan, stopFlag: stopFlag.buffer as SharedArrayBuffer } satisfies WorkerRequest);
        } catch (error) {
          fail(error);
          throw error;
        }
        let next = 0;
        try {
          for (;;) {
            if (next < received.length) {
              yield received[next++] as SampledToken;
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
        } finally {
          // A reader that leaves early stops the loop; its statistics still arrive.
          if (!finished) stop();
          signal.removeEventListener('abort', stop);
        }
      },
    };
  }

  private dispatch(reply: WorkerReply): void {
    if (reply.type === 'unloaded') {
      this.unloaded?.resolve();
      return;
    }
    if ((reply.type === 'token' || reply.type === 'done' || reply.type === 'error') && reply.requestId !== undefined) {
      this.loops.get(reply.requestId)?.onReply(reply);
      return;
    }
    if (reply.type === 'error') this.failAll(deserialize(reply.error));
  }

  /** Fails every running loop (the worker broke). */
  private failAll(error: Error): void {
    for (const loop of [...this.loops.values()]) loop.fail(error);
    this.unloaded?.resolve();
  }

  /**
   * Stops every generation (each ends after its current step, keeping the text it has), refuses new
   * ones, frees the session, then ends the worker. Safe to call twice.
   */
  dispose(): Promise<void> {
    this.closing ??= (async () => {
      this.pool.close(unloadedError());
      const loops = [...this.loops.values()];
      for (const loop of loops) loop.stop();
      await Promise.all(loops.map((loop) => loop.ended));
      this.unloaded = deferred<void>();
      this.worker.postMessage({ type: 'unload' } satisfies WorkerRequest);
      await this.unloaded.promise;
      await this.worker.terminate();
    })();
    return this.closing;
  }
}

function unloadedError(): OwmError {
  return new RuntimeError('The model is being unloaded: send the request again to load it anew.', { code: 'unloaded' });
}
