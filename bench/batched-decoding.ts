import { importDist } from './peers/dist-module.js';
import type * as ConfigModule from '../src/config.js';
import type { GenerationRequest, GenerationStats } from '../src/runtime/generate-text.js';
import type * as LocalModelModule from '../src/runtime/local-model.js';
import type { PreparedModel } from './prepare-model.js';

/** Concurrent streams of the batched-decoding line. */
export const BATCHING_STREAMS = [1, 2, 4, 8];

/** Concurrent greedy streams on one loaded model, decoded in batches and in turn. */
export interface BatchedDecoding {
  model: string;
  /** Tokens each stream generates (EOS ignored). */
  tokens: number;
  /** `--parallel` of both loads: the most streams measured. */
  parallel: number;
  lines: BatchedDecodingLine[];
}

/** One count of concurrent streams. */
export interface BatchedDecodingLine {
  streams: number;
  /**
   * Aggregate decode speed once every stream is in flight: n × the decode tokens/s of the stream
   * whose first token came last. The prompts run before the streams step together, so that stream
   * waited for no one's prompt; every other stream makes a token at each of its steps.
   */
  batchedInFlightTokensPerSecond: number;
  roundRobinInFlightTokensPerSecond: number;
  /** The sum of the streams' own decode tokens/s (after their first token), which counts the waits for the others' prompts. */
  batchedTokensPerSecond: number;
  roundRobinTokensPerSecond: number;
  /** Every stream's tokens over the wall time from the first request to the last token, prompts included. */
  batchedWallTokensPerSecond: number;
  roundRobinWallTokensPerSecond: number;
  /** True when every stream's tokens were the same both ways. */
  sameTokens: boolean;
}

const GREEDY = { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

/**
 * Runs 1, 2, 4... concurrent greedy streams of `tokens` tokens each on the model loaded with
 * `--parallel` the largest count, with batched decoding and then without (one step of each stream
 * in turn), and reports the aggregate tokens per second of each.
 */
export async function measureBatchedDecoding(options: {
  prepared: PreparedModel;
  threads: number;
  tokens: number;
  /** @default BATCHING_STREAMS */
  streams?: number[];
  log: (line: string) => void;
}): Promise<BatchedDecoding> {
  const { prepared, streams = BATCHING_STREAMS } = options;
  const { LocalModel } = await importDist<typeof LocalModelModule>('runtime/local-model.js');
  const { resolvePaths } = await importDist<typeof ConfigModule>('config.js');
  const parallel = Math.max(...streams);
  const settings = { device: 'cpu' as const, threads: options.threads, optimize: { cacheDir: resolvePaths().optimizedCache, exact: false } };
  const request = (stream: number, maxTokens: number): GenerationRequest => ({
    messages: [{ role: 'user', content: `Stream ${stream}: tell a long story about the number ${stream * 7 + 3}.` }],
    sampling: GREEDY,
    maxTokens,
    stop: [],
    think: 'show',
    ignoreEos: true,
    freshCache: true,
  });

  const measure = async (batching: boolean): Promise<{ inFlightTokensPerSecond: number[]; tokensPerSecond: number[]; wallTokensPerSecond: number[]; tokenIds: number[][][] }> => {
    const model = await LocalModel.load({ dir: prepared.dir, modelFile: prepared.modelFile }, settings, { parallel, batching });
    try {
      if (model.info.batching !== batching) throw new Error(`batching ${batching} asked, the model loaded with ${model.info.batching}`);
      const run = async (stream: number, maxTokens: number): Promise<GenerationStats> => {
        const generation = model.generate(request(stream, maxTokens));
        for await (const piece of generation) void piece;
        return generation.stats;
      };
      await Promise.all(Array.from({ length: parallel }, (_, stream) => run(stream, 2)));
      const inFlightTokensPerSecond: number[] = [];
      const tokensPerSecond: number[] = [];
      const wallTokensPerSecond: number[] = [];
      const tokenIds: number[][][] = [];
      for (const count of streams) {
        const started = performance.now();
        const stats = await Promise.all(Array.from({ length: count }, (_, stream) => run(stream, options.tokens)));
        const seconds = (performance.now() - started) / 1000;
        const generated = stats.reduce((sum, one) => sum + one.generatedTokens, 0);
        const decode = stats.reduce((sum, one) => sum + one.decodeTokensPerSecond, 0);
        const lastToStart = stats.reduce((last, one) => (one.timeToFirstTokenMs > last.timeToFirstTokenMs ? one : last));
        const inFlight = count * lastToStart.decodeTokensPerSecond;
        inFlightTokensPerSecond.push(inFlight);
        tokensPerSecond.push(decode);
        wallTokensPerSecond.push(generated / seconds);
        tokenIds.push(stats.map((one) => one.tokenIds));
        options.log(`${count} stream(s), ${batching ? 'batched' : 'in turn'}: decode ${inFlight.toFixed(1)} tok/s all in flight, ${decode.toFixed(1)} from each first token, ${(generated / seconds).toFixed(1)} with prompts`);
      }
      return { inFlightTokensPerSecond, tokensPerSecond, wallTokensPerSecond, tokenIds };
    } finally {
      await model.dispose();
    }
  };

  const batched = await measure(true);
  const roundRobin = await measure(false);
  return {
    model: prepared.model.label,
    tokens: options.tokens,
    parallel,
    lines: streams.map((streams, i) => ({
      streams,
      batchedInFlightTokensPerSecond: batched.inFlightTokensPerSecond[i] as number,
      roundRobinInFlightTokensPerSecond: roundRobin.inFlightTokensPerSecond[i] as number,
      batchedTokensPerSecond: batched.tokensPerSecond[i] as number,
      roundRobinTokensPerSecond: roundRobin.tokensPerSecond[i] as number,
      batchedWallTokensPerSecond: batched.wallTokensPerSecond[i] as number,
      roundRobinWallTokensPerSecond: roundRobin.wallTokensPerSecond[i] as number,
      sameTokens: JSON.stringify(batched.tokenIds[i]) === JSON.stringify(roundRobin.tokenIds[i]),
    })),
  };
}
