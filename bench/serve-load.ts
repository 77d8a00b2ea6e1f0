import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { spread, type Spread } from '../src/runtime/measure-speed.js';
import { serveOwm } from '../test/support/serve-owm.js';

/** How hard to load `owm serve`. */
export interface ServeLoadPlan {
  /** Concurrent clients of each round; each sends `requestsPerClient` requests one after another. */
  clients: number[];
  requestsPerClient: number;
  /** Tokens each answer decodes (end of sequence ignored by asking for no stop). */
  maxTokens: number;
  /** The server's `--parallel`. */
  parallel: number;
  /** No request starts after this many seconds of a round (the load test ends by itself). */
  roundSeconds: number;
}

/** One round: N clients at once. */
export interface ServeLoadRound {
  clients: number;
  requests: number;
  errors: number;
  /** Whole-request latency, ms. */
  latencyMs: Spread & { p95: number };
  /** Completion tokens of every answer over the round's wall time. */
  aggregateTokensPerSecond: number;
  wallSeconds: number;
}

/** `owm serve` under a bounded load on loopback, with its memory before and after. */
export interface ServeLoad {
  model: string;
  plan: ServeLoadPlan;
  rounds: ServeLoadRound[];
  /** The server's resident memory with the model loaded and idle, then after the last round. */
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

const PROMPTS = ['Tell me about rivers.', 'Why is the sky blue?', 'Write a haiku about rain.', 'List three prime numbers.', 'What is a KV cache?', 'Describe a cat.', 'Count to ten.', 'Name a colour.'];

/**
 * Starts `owm serve` on `modelDir` (127.0.0.1, a free port) and sends it rounds of concurrent
 * chat completions through the openai client: every request bounded in tokens and time, every
 * round bounded in requests and seconds.
 */
export async function measureServeLoad(options: { modelDir: string; threads: number; plan: ServeLoadPlan; env: NodeJS.ProcessEnv; log: (line: string) => void }): Promise<ServeLoad> {
  const { plan } = options;
  const server = await serveOwm(
    ['--model', `bench=${options.modelDir}`, '--parallel', String(plan.parallel), '--max-queue', '256', '--threads', String(options.threads), '-q'],
    options.env,
  );
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 120_000 });
    const ask = async (index: number): Promise<number> => {
      const reply = await client.chat.completions.create({
        model: 'bench',
        messages: [{ role: 'user', content: PROMPTS[index % PROMPTS.length] as string }],
        max_tokens: plan.maxTokens,
        temperature: 0.7,
        seed: index,
      });
      return reply.usage?.completion_tokens ?? 0;
    };
    await ask(0);
    const rssBeforeBytes = residentBytes(server.child.pid as number);
    const rounds: ServeLoadRound[] = [];
    for (const clients of plan.clients) {
      options.log(`serve load: ${clients} client(s) × ${plan.requestsPerClient} requests, ${plan.maxTokens} tokens each`);
      const latencies: number[] = [];
      let errors = 0;
      let tokens = 0;
      const started = performance.now();
      const deadline = started + plan.roundSeconds * 1000;
      await Promise.all(
        Array.from({ length: clients }, async (_, client) => {
          for (let request = 0; request < plan.requestsPerClient && performance.now() < deadline; request++) {
            const sent = performance.now();
            try {
              // Awaited first: `tokens += await …` would read `tokens` before the wait and lose other clients' counts.
              const answered = await ask(client * plan.requestsPerClient + request);
              tokens += answered;
              latencies.push(performance.now() - sent);
            } catch {
              errors++;
            }
          }
        }),
      );
      const wallSeconds = (performance.now() - started) / 1000;
      const sorted = [...latencies].sort((a, b) => a - b);
      rounds.push({
        clients,
        requests: latencies.length + errors,
        errors,
        latencyMs: { ...spread(latencies.length > 0 ? latencies : [0]), p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0 },
        aggregateTokensPerSecond: tokens / wallSeconds,
        wallSeconds,
      });
    }
    return { model: 'bench', plan, rounds, rssBeforeBytes, rssAfterBytes: residentBytes(server.child.pid as number) };
  } finally {
    await server.stop();
  }
}

/** A process's resident set size, from /proc. */
function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}
