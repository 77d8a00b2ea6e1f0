import { deferred } from '../../src/runtime/deferred.js';
import { generateTokens, type TokenRunStats, type TokenSource } from '../../src/runtime/generate-tokens.js';
import type { KvDecoder } from '../../src/runtime/kv-decoder.js';

/** A TokenSource running owm's token loop on this thread (the model worker runs the same loop). */
export function inProcessTokens(decoder: KvDecoder): TokenSource {
  return (plan) => {
    let stopped = false;
    const stats = deferred<TokenRunStats>();
    const tokens = generateTokens(decoder, plan, () => stopped);
    return {
      stats: stats.promise,
      stop: () => {
        stopped = true;
      },
      async *[Symbol.asyncIterator]() {
        let next = await tokens.next();
        try {
          while (!next.done) {
            yield next.value;
            next = await tokens.next();
          }
        } finally {
          // A reader that leaves early has stopped the loop: run it to its end for the statistics.
          while (!next.done) next = await tokens.next();
          stats.resolve(next.value);
        }
      },
    };
  };
}
