import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import type { GenerationRequest, GenerationStats } from '../../../src/runtime/generate-text.js';
import type * as LocalModelModule from '../../../src/runtime/local-model.js';
import type * as GrammarModule from '../../../src/runtime/grammar/index.js';
import type { Generation } from '../../../src/runtime/generation.js';
import { importDist } from '../../../bench/peers/dist-module.js';
import { TINY, writeSyntheticModel } from '../../support/synthetic-model/index.js';

const { LocalModel } = await importDist<typeof LocalModelModule>('runtime/local-model.js');
const { jsonGrammar, ANY_JSON_OBJECT_SCHEMA } = await importDist<typeof GrammarModule>('runtime/grammar/index.js');

/** Every kind of bound the issue names: nested objects, enums, arrays with bounds, integer ranges, patterns. */
const PERSON_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    role: { enum: ['admin', 'editor', 'viewer'] },
    code: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{3}$' },
    active: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string', maxLength: 6 }, minItems: 1, maxItems: 3 },
    address: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 10 }, zip: { type: 'integer', minimum: 10000, maximum: 99999 } },
      required: ['city', 'zip'],
      additionalProperties: false,
    },
  },
  required: ['name', 'age', 'role', 'code', 'active', 'tags', 'address'],
  additionalProperties: false,
};

/** Temperature 1 over the whole vocabulary: a random-weight model is the worst-behaved writer there is. */
const WILD = { temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

async function collect(generation: Generation): Promise<{ text: string; stats: GenerationStats }> {
  let text = '';
  for await (const piece of generation) text += piece;
  return { text, stats: await generation.stats };
}

describe('constrained generation on the real Qwen 3 vocabulary (151,669 tokens)', () => {
  let model: LocalModelModule.LocalModel;
  const ask = (extra: Partial<GenerationRequest>): GenerationRequest => ({
    messages: [{ role: 'user', content: 'Describe a user as JSON.' }],
    sampling: WILD,
    stop: [],
    think: 'show',
    ...extra,
  });

  before(async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-grammar-')), 'model');
    writeSyntheticModel(dir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 11 });
    model = await LocalModel.load({ dir, modelFile: 'onnx/model.onnx' }, { device: 'cpu', threads: 1 });
  });
  after(async () => {
    await model.dispose();
  });

  test('every seed at temperature 1 gives a complete value that validates against a bounded schema', async () => {
    const grammar = await jsonGrammar(PERSON_SCHEMA, 'the schema');
    const validate = new Ajv().compile(PERSON_SCHEMA);
    for (let seed = 1; seed <= 12; seed++) {
      const { text, stats } = await collect(model.generate(ask({ grammar, sampling: { ...WILD, seed }, maxTokens: 400 })));
      assert.equal(stats.stopReason, 'eos', `seed ${seed} ended complete: ${text}`);
      const value: unknown = JSON.parse(text);
      assert.ok(validate(value), `seed ${seed}: ${text} ${JSON.stringify(validate.errors)}`);
      assert.doesNotMatch(text, /\n/, 'no free whitespace');
    }
  });

  test('any JSON object: parses when complete, reports max-tokens when the budget ends first', async () => {
    const grammar = await jsonGrammar(ANY_JSON_OBJECT_SCHEMA, 'format json');
    let complete = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const { text, stats } = await collect(model.generate(ask({ grammar, sampling: { ...WILD, seed }, maxTokens: 48 })));
      assert.ok(text.startsWith('{'), text);
      if (stats.stopReason === 'eos') {
        complete++;
        const value: unknown = JSON.parse(text);
        assert.equal(typeof value, 'object');
      } else {
        assert.equal(stats.stopReason, 'max-tokens');
        assert.equal(stats.generatedTokens, 48);
      }
    }
    void complete;
  });

  test('without a grammar the same model writes text that is not JSON', async () => {
    const { text } = await collect(model.generate(ask({ sampling: { ...WILD, seed: 1 }, maxTokens: 24, ignoreEos: true })));
    assert.throws(() => JSON.parse(text));
  });

  test('a broken or unsupported schema is a usage error naming the problem', async () => {
    await assert.rejects(jsonGrammar({ type: 'strin' }, '--schema bad.json'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'invalid-schema');
      assert.match(error.message, /--schema bad\.json cannot be used: Unsupported type "strin"/);
      return true;
    });
    await assert.rejects(jsonGrammar([1, 2], '--schema list.json'), /--schema list\.json is not a JSON Schema/);
  });
});
