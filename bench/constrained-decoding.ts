import { importDist } from './peers/dist-module.js';
import { spread, type Spread } from '../src/runtime/measure-speed.js';
import type { GenerationRequest, GenerationStats } from '../src/runtime/generate-text.js';
import type * as GrammarModule from '../src/runtime/grammar/index.js';
import type * as CompilersModule from '../src/runtime/grammar/grammar-compilers.js';
import type * as LocalModelModule from '../src/runtime/local-model.js';

/** Constrained decoding against plain decoding on one model, and what the grammar costs per token. */
export interface ConstrainedDecoding {
  model: string;
  vocabSize: number;
  /** Tokens each run decodes: the schema's answer, and the same count for the free run. */
  tokens: number;
  reps: number;
  freeTokensPerSecond: Spread;
  schemaTokensPerSecond: Spread;
  /** Median schema speed ÷ median free speed, runs alternating. */
  ratio: number;
  /** The first constrained request: the tokenizer's grammar table (once per model) and the schema's compilation. */
  firstCompileMs: number;
  /** Per token: xgrammar's mask plus applying it to a row of logits. */
  maskMs: { median: number; p99: number; max: number };
}

/** Bounded everywhere, so the answer always completes: eight items of a name and a score. */
const LIST_SCHEMA = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      minItems: 8,
      maxItems: 8,
      items: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 6, maxLength: 10 }, score: { type: 'integer', minimum: 0, maximum: 100 } },
        required: ['name', 'score'],
        additionalProperties: false,
      },
    },
  },
  required: ['items'],
  additionalProperties: false,
};

const GREEDY = { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

/**
 * Decodes the same prompt greedily with and without a JSON Schema, alternating, on one loaded model
 * (`reps` each); then replays the constrained answer's tokens through a fresh constraint in this
 * process to time each token's mask on the model's real vocabulary.
 */
export async function measureConstrainedDecoding(options: { modelDir: string; modelFile: string; label: string; threads: number; reps: number }): Promise<ConstrainedDecoding> {
  const { LocalModel } = await importDist<typeof LocalModelModule>('runtime/local-model.js');
  const { jsonGrammar } = await importDist<typeof GrammarModule>('runtime/grammar/index.js');
  const { GrammarCompilers } = await importDist<typeof CompilersModule>('runtime/grammar/grammar-compilers.js');
  const model = await LocalModel.load({ dir: options.modelDir, modelFile: options.modelFile }, { device: 'cpu', threads: options.threads });
  try {
    const grammar = await jsonGrammar(LIST_SCHEMA, 'the benchmark schema');
    const base: GenerationRequest = { messages: [{ role: 'user', content: 'Eight players and their scores, as JSON.' }], sampling: GREEDY, stop: [], think: 'show', freshCache: true };
    const run = async (request: GenerationRequest): Promise<GenerationStats> => {
      const generation = model.generate(request);
      for await (const piece of generation) void piece;
      return generation.stats;
    };
    const compileStarted = performance.now();
    const first = await run({ ...base, grammar, maxTokens: 1 });
    const firstCompileMs = performance.now() - compileStarted - first.prefillMs;
    const reference = await run({ ...base, grammar, maxTokens: 1024 });
    if (reference.stopReason !== 'eos') throw new Error(`the bounded schema's answer did not complete (${reference.stopReason})`);
    const tokens = reference.generatedTokens;
    const free: number[] = [];
    const constrained: number[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      free.push((await run({ ...base, ignoreEos: true, maxTokens: tokens })).decodeTokensPerSecond);
      constrained.push((await run({ ...base, grammar, maxTokens: 1024 })).decodeTokensPerSecond);
    }
    const compilers = new GrammarCompilers(options.modelDir, model.info.vocabSize);
    const constraint = await compilers.constrain(grammar, model.info.eosTokenIds);
    const logits = Float32Array.from({ length: model.info.vocabSize }, (_, id) => Math.sin(id));
    const perToken: number[] = [];
    for (const id of reference.tokenIds) {
      const started = performance.now();
      await constraint.prepare();
      constraint.process(logits)();
      perToken.push(performance.now() - started);
      constraint.accept(id);
    }
    constraint.dispose();
    const sorted = [...perToken].sort((a, b) => a - b);
    const freeSpread = spread(free);
    const schemaSpread = spread(constrained);
    return {
      model: options.label,
      vocabSize: model.info.vocabSize,
      tokens,
      reps: options.reps,
      freeTokensPerSecond: freeSpread,
      schemaTokensPerSecond: schemaSpread,
      ratio: schemaSpread.median / freeSpread.median,
      firstCompileMs,
      maskMs: { median: spread(perToken).median, p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] as number, max: sorted[sorted.length - 1] as number },
    };
  } finally {
    await model.dispose();
  }
}
