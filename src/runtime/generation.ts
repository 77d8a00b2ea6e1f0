import { deferred } from './deferred.js';
import type { GenerationRequest, GenerationStats } from './generate-text.js';
import type { SampledToken } from './generate-tokens.js';

/** A running generation: its text pieces as they come, and its statistics at the end. */
export interface Generation extends AsyncIterable<string> {
  /** The tokens sampled so far, with log probabilities when the request asked for them; grows as pieces come. */
  readonly tokens: readonly SampledToken[];
  /** Asks the model to stop after the current step (or leaves the queue); the text so far stays valid. */
  stop(): void;
  /** Resolves once the generation ended, read to the end or left early, with the statistics. */
  readonly stats: Promise<GenerationStats>;
}

/** Per-request options of `generate`. */
export interface GenerateOptions {
  /** Aborting it stops the generation after the current step, or takes it out of the queue. */
  signal?: AbortSignal;
}

/** Anything that answers generation requests: a model loaded here, or a server (`owm run --host`). */
export interface TextGenerator {
  generate(request: GenerationRequest, options?: GenerateOptions): Generation;
}

/** How `createGeneration` runs the pieces. */
export interface GenerationSource {
  /** Starts the pieces; they stop when `signal` aborts and report their statistics through `onDone`. */
  run(signal: AbortSignal, onDone: (stats: GenerationStats) => void): AsyncIterable<string>;
  /** The tokens the pieces come from, as they are sampled. @default none */
  tokens?: readonly SampledToken[];
  /** Runs once the pieces ended, however they ended. */
  finally?: () => void;
}

/**
 * A Generation over `source`: `stop()` and the caller's `signal` both abort it, and its
 * statistics settle (or fail with the pieces' error) however the reader leaves.
 */
export function createGeneration(source: GenerationSource, signal?: AbortSignal): Generation {
  const controller = new AbortController();
  const abort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) abort();
  else signal?.addEventListener('abort', abort, { once: true });
  const stats = deferred<GenerationStats>();
  stats.promise.catch(() => {});
  const pieces = source.run(controller.signal, stats.resolve);
  return {
    tokens: source.tokens ?? [],
    stats: stats.promise,
    stop: () => controller.abort(),
    async *[Symbol.asyncIterator]() {
      try {
        yield* pieces;
      } catch (error) {
        stats.reject(error);
        throw error;
      } finally {
        source.finally?.();
        signal?.removeEventListener('abort', abort);
      }
    },
  };
}
