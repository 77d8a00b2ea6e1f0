import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { BatchedDecoder, type BatchedSequence } from '../../src/runtime/batched-decoder.js';
import { generateTokens, type SampledToken, type TokenPlan, type TokenRunStats } from '../../src/runtime/generate-tokens.js';
import { readGraphSignature } from '../../src/runtime/graph-signature.js';
import { KvDecoder, type KvStrategy } from '../../src/runtime/kv-decoder.js';
import { optimizeModel } from '../../src/runtime/optimize/index.js';
import { lookupDrafts } from '../../src/runtime/prompt-lookup.js';
import type { SequenceDecoder } from '../../src/runtime/sequence-decoder.js';
import { TINY, writeSyntheticModel, type SyntheticStyle } from '../support/synthetic-model/index.js';

describe('lookupDrafts', () => {
  test('copies what followed the most recent earlier occurrence of the last three ids', () => {
    const history = [1, 2, 3, 4, 5, 9, 1, 2, 3, 6, 7, 8, 0, 1, 2, 3];
    assert.deepEqual(lookupDrafts(history, 2), [6, 7]);
    assert.deepEqual(lookupDrafts(history, 10), [6, 7, 8, 0, 1, 2, 3]);
  });

  test('falls back to the last two ids, never to one', () => {
    assert.deepEqual(lookupDrafts([7, 2, 3, 4, 5, 9, 2, 3], 3), [4, 5, 9]);
    assert.deepEqual(lookupDrafts([7, 2, 3, 4, 5, 9, 1, 3], 3), []);
  });

  test('drafts run into the tail when the text repeats itself', () => {
    assert.deepEqual(lookupDrafts([4, 4, 4, 4], 5), [4]);
  });

  test('nothing for a count of 0 or a history too short to match', () => {
    assert.deepEqual(lookupDrafts([1, 2, 3, 1, 2, 3], 0), []);
    assert.deepEqual(lookupDrafts([1, 2], 4), []);
  });
});

const GREEDY = { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

async function collect(decoder: SequenceDecoder, plan: TokenPlan): Promise<{ tokens: SampledToken[]; stats: TokenRunStats }> {
  const loop = generateTokens(decoder, plan, () => false);
  const tokens: SampledToken[] = [];
  let next = await loop.next();
  while (!next.done) {
    tokens.push(next.value);
    next = await loop.next();
  }
  return { tokens, stats: next.value };
}

describe('prompt-lookup decoding', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-lookup-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  /** The graphs a model loads as: the export as it is (its KV strategies), and owm's rewrite of it. */
  async function decoders(style: SyntheticStyle, attentionShare: number): Promise<[string, KvDecoder][]> {
    const dir = path.join(root, `${style}-${attentionShare}`);
    const model = writeSyntheticModel(dir, { arch: 'llama', style, dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 21, attentionShare });
    const original = path.join(dir, model.modelFile);
    const fused = await optimizeModel({ modelPath: original, cacheDir: path.join(root, 'optimized'), exact: false });
    assert.ok(fused.status !== 'skipped', fused.status === 'skipped' ? fused.reason : '');
    const open = async (file: string, strategy?: KvStrategy): Promise<KvDecoder> => {
      const session = await ort.InferenceSession.create(file);
      return new KvDecoder(session, readGraphSignature(session, file), strategy);
    };
    const strategies: KvStrategy[] = style === 'genai' ? ['grow', 'shared'] : ['grow'];
    return [
      ...(await Promise.all(strategies.map(async (strategy): Promise<[string, KvDecoder]> => [`${style} ${strategy}`, await open(original, strategy)]))),
      [`${style} rewritten`, await open(fused.modelPath)],
    ];
  }

  for (const style of ['optimum', 'genai'] as const) {
    test(`${style}: a model quoting its prompt gets the same tokens with most drafts accepted, on every graph`, async () => {
      // Attention off: each next token depends on the current one only, so a prompt holding the
      // model's own greedy chain is quoted.
      for (const [label, decoder] of await decoders(style, 0)) {
        assert.ok(decoder.verifier, `${label}: no draft checking`);
        const plan = (promptIds: number[], promptLookup: boolean, budget = 48): TokenPlan => ({
          promptIds,
          sampling: GREEDY,
          budget,
          eosTokenIds: [],
          reusePrefix: false,
          logprobs: 2,
          promptLookup,
        });
        const chain = (await collect(decoder, plan([5, 900, 1200], false, 64))).tokens.map((token) => token.id);
        const quoting = [...chain, ...chain.slice(0, 3)];
        const plain = await collect(decoder, plan(quoting, false));
        const lookup = await collect(decoder, plan(quoting, true));
        assert.deepEqual(lookup.tokens.map((t) => t.id), plain.tokens.map((t) => t.id), label);
        lookup.tokens.forEach((token, i) => assert.ok(Math.abs((token.logprob as number) - (plain.tokens[i].logprob as number)) < 1e-3, `${label}: token ${i}'s logprob`));
        assert.equal(plain.stats.draftedTokens, 0);
        assert.ok(lookup.stats.acceptedDrafts >= 40, `${label}: ${lookup.stats.acceptedDrafts} of ${lookup.stats.draftedTokens} drafts accepted`);
      }
    });
  }

  test('drafts the model rejects are dropped from the cache: the same tokens as plain greedy', async () => {
    for (const style of ['optimum', 'genai'] as const) {
      for (const [label, decoder] of await decoders(style, 0)) {
        const chain = (await collect(decoder, { promptIds: [5, 900, 1200], sampling: GREEDY, budget: 64, eosTokenIds: [], reusePrefix: false })).tokens.map((t) => t.id);
        // The quote differs from the model's chain at two places: drafts copied across them are rejected.
        const edited = chain.map((id, i) => (i === 20 || i === 40 ? (id + 1) % 1000 : id));
        const promptIds = [...edited, ...edited.slice(0, 3)];
        const plan = (promptLookup: boolean): TokenPlan => ({ promptIds, sampling: GREEDY, budget: 56, eosTokenIds: [], reusePrefix: false, promptLookup });
        const plain = await collect(decoder, plan(false));
        const lookup = await collect(decoder, plan(true));
        assert.deepEqual(lookup.tokens.map((t) => t.id), plain.tokens.map((t) => t.id), label);
        assert.ok(lookup.stats.acceptedDrafts > 0 && lookup.stats.draftedTokens > lookup.stats.acceptedDrafts, `${label}: ${lookup.stats.acceptedDrafts} of ${lookup.stats.draftedTokens} accepted`);
      }
    }
  });

  test('a batched sequence checks drafts while it is alone in flight, and not while another one is', async () => {
    const dir = path.join(root, 'batched');
    const model = writeSyntheticModel(dir, { arch: 'llama', style: 'optimum', dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 21, attentionShare: 0 });
    const fused = await optimizeModel({ modelPath: path.join(dir, model.modelFile), cacheDir: path.join(root, 'optimized'), exact: false });
    assert.ok(fused.status !== 'skipped', fused.status === 'skipped' ? fused.reason : '');
    const session = await ort.InferenceSession.create(fused.modelPath);
    const batch = new BatchedDecoder(session, readGraphSignature(session, fused.modelPath));
    const [first, second] = [batch.sequence(0), batch.sequence(1)];
    const plan = (promptIds: number[], promptLookup: boolean, budget = 48): TokenPlan => ({ promptIds, sampling: GREEDY, budget, eosTokenIds: [], reusePrefix: false, promptLookup });
    const alone = async (promptIds: number[], promptLookup: boolean, budget?: number): Promise<{ tokens: SampledToken[]; stats: TokenRunStats }> => {
      try {
        return await collect(first, plan(promptIds, promptLookup, budget));
      } finally {
        first.leave();
      }
    };
    const chain = (await alone([5, 900, 1200], false, 64)).tokens.map((token) => token.id);
    const quoting = [...chain, ...chain.slice(0, 3)];
    const plain = await alone(quoting, false);
    const lookup = await alone(quoting, true);
    assert.deepEqual(lookup.tokens.map((t) => t.id), plain.tokens.map((t) => t.id));
    assert.ok(lookup.stats.acceptedDrafts >= 40, `${lookup.stats.acceptedDrafts} of ${lookup.stats.draftedTokens} drafts accepted`);

    // Two in flight: both step together, one token each, and neither drafts.
    // Each leaves when its own generation ends, as the server's slots do: the batch waits for every member.
    const inFlight = (sequence: BatchedSequence): Promise<{ tokens: SampledToken[]; stats: TokenRunStats }> =>
      collect(sequence, plan(quoting, true)).finally(() => sequence.leave());
    const together = await Promise.all([inFlight(first), inFlight(second)]);
    for (const run of together) {
      assert.deepEqual(run.tokens.map((t) => t.id), plain.tokens.map((t) => t.id));
      assert.equal(run.stats.draftedTokens, 0);
    }
    await session.release();
  });

  test('sampling with a temperature ignores prompt lookup', async () => {
    const [, [, decoder]] = await decoders('optimum', 0);
    const promptIds = [5, 900, 1200, 5, 900, 1200, 5, 900];
    const { stats } = await collect(decoder, { promptIds, sampling: { ...GREEDY, temperature: 0.7, seed: 1 }, budget: 16, eosTokenIds: [], reusePrefix: false, promptLookup: true });
    assert.equal(stats.draftedTokens, 0);
  });
});
