import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AutoModelForCausalLM, env, Tensor as HfTensor } from '@huggingface/transformers';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { TINY, writeSyntheticModel, type SyntheticArch, type SyntheticDtype, type SyntheticModel, type SyntheticStyle } from './index.js';

const ARCHS: SyntheticArch[] = ['llama', 'qwen2'];
const VARIANTS: { style: SyntheticStyle; dtype: SyntheticDtype }[] = [
  { style: 'optimum', dtype: 'fp32' },
  { style: 'optimum', dtype: 'fp16' },
  { style: 'optimum', dtype: 'q4' },
  { style: 'genai', dtype: 'fp32' },
  { style: 'genai', dtype: 'q4' },
];
const PROMPT = [9707, 11, 1879, 0, 358, 1079];
const SEED = 7;

interface Step {
  /** Logits of the last position. */
  logits: Float32Array;
  token: number;
}

/** Bare greedy decoding over onnxruntime-node: prefill, then one token a step, stopping at an eos id. */
async function greedy(session: ort.InferenceSession, model: SyntheticModel, prompt: number[], steps: number): Promise<Step[]> {
  const { vocab } = model.config;
  const past: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue;
    const [, heads, , headDim] = meta.shape as number[];
    const empty = meta.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    past[meta.name] = new ort.Tensor(meta.type as 'float32' | 'float16', empty, [1, heads, 0, headDim]);
  }
  const out: Step[] = [];
  let tokens = prompt;
  let pastLength = 0;
  for (let step = 0; step < steps; step++) {
    const total = pastLength + tokens.length;
    const feeds: Record<string, ort.Tensor> = {
      ...past,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    };
    if (session.inputNames.includes('position_ids')) {
      feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(pastLength + i)), [1, tokens.length]);
    }
    const result = await session.run(feeds);
    assert.deepEqual(result['present.0.key'].dims, [1, model.config.kvHeads, total, model.config.headDim]);
    const all = result.logits.data as Float32Array;
    const logits = all.slice((tokens.length - 1) * vocab, tokens.length * vocab);
    const token = argmax(logits);
    out.push({ logits, token });
    if (model.config.eosTokenIds.includes(token)) break;
    for (const name of Object.keys(past)) past[name] = result[name.replace('past_key_values.', 'present.')];
    pastLength = total;
    tokens = [token];
  }
  return out;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function std(values: Float32Array): number {
  let sum = 0;
  let squares = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / values.length;
  return Math.sqrt(squares / values.length - mean * mean);
}

/** ‖a − b‖ / ‖a‖. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let error = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    error += (a[i] - b[i]) ** 2;
    norm += a[i] * a[i];
  }
  return Math.sqrt(error / norm);
}

describe('writeSyntheticModel', () => {
  const root = mkdtempSync(join(tmpdir(), 'owm-synthetic-'));
  const models = new Map<string, SyntheticModel>();
  const sessions = new Map<string, ort.InferenceSession>();
  const key = (arch: SyntheticArch, style: SyntheticStyle, dtype: SyntheticDtype): string => `${arch}/${style}/${dtype}`;
  const runs = new Map<string, Step[]>();

  before(async () => {
    for (const arch of ARCHS) {
      for (const { style, dtype } of VARIANTS) {
        // All optimum dtypes share one folder, as in a transformers.js repo; genai has one per dtype.
        const dir = join(root, style === 'optimum' ? `${arch}-optimum` : `${arch}-genai-${dtype}`);
        const model = writeSyntheticModel(dir, {
          arch,
          style,
          dtype,
          shape: TINY,
          tokenizer: arch === 'llama' ? 'llama' : 'qwen',
          seed: SEED,
          externalData: dtype === 'q4',
          // Qwen2.5 ties lm_head to the embedding; SmolLM2 does too, but one untied arch covers lm_head.weight.
          tieEmbeddings: arch === 'qwen2',
        });
        const k = key(arch, style, dtype);
        models.set(k, model);
        sessions.set(k, await ort.InferenceSession.create(join(dir, model.modelFile)));
        runs.set(k, await greedy(sessions.get(k)!, model, PROMPT, 8));
      }
    }
  });

  after(async () => {
    for (const session of sessions.values()) await session.release();
    rmSync(root, { recursive: true, force: true });
  });

  for (const arch of ARCHS) {
    for (const { style, dtype } of VARIANTS) {
      test(`${arch} ${style} ${dtype}: prefill and 3 decode steps give finite, spread logits`, async () => {
        const model = models.get(key(arch, style, dtype))!;
        const session = sessions.get(key(arch, style, dtype))!;
        const past = session.inputMetadata.find((meta) => meta.name === 'past_key_values.0.key');
        assert.equal(past?.isTensor && past.type, dtype === 'fp16' ? 'float16' : 'float32');
        assert.equal(session.inputNames.includes('position_ids'), style === 'optimum');
        const steps = await greedy(session, model, PROMPT.slice(0, 4), 4);
        assert.equal(steps.length, 4);
        for (const { logits } of steps) {
          assert.equal(logits.length, model.config.vocab);
          assert.ok(logits.every(Number.isFinite));
          assert.ok(std(logits) > 1, `logit std ${std(logits)}`);
        }
      });
    }

    test(`${arch}: q4 and fp16-KV graphs compute nearly what fp32 does`, () => {
      const fp32 = runs.get(key(arch, 'optimum', 'fp32'))!;
      const q4 = runs.get(key(arch, 'optimum', 'q4'))!;
      const genaiQ4 = runs.get(key(arch, 'genai', 'q4'))!;
      const fp16 = runs.get(key(arch, 'optimum', 'fp16'))!;
      const q4Error = relativeError(fp32[0].logits, q4[0].logits);
      // 4-bit random weights drift by about 0.3-0.4 here; unrelated logits would be near 1.4.
      assert.ok(q4Error < 0.6, `q4 relative error ${q4Error}`);
      // Same 4-bit weights; accuracy_level 4 quantizes the activations to int8 on top.
      const levelError = relativeError(q4[0].logits, genaiQ4[0].logits);
      assert.ok(levelError < 0.06, `accuracy_level 4 relative error ${levelError}`);
      // Prefill sees an empty cache; the step after reads the float16 one.
      assert.equal(fp16[0].token, fp32[0].token);
      const fp16Error = relativeError(fp32[1].logits, fp16[1].logits);
      assert.ok(fp16Error > 0 && fp16Error < 0.01, `fp16-KV relative error ${fp16Error}`);
    });

    test(`${arch}: genai and optimum graphs of the same weights decode the same tokens`, () => {
      for (const dtype of ['fp32', 'q4'] as const) {
        const optimum = models.get(key(arch, 'optimum', dtype))!;
        const genai = models.get(key(arch, 'genai', dtype))!;
        for (const [name, weight] of optimum.weights) assert.deepEqual(genai.weights.get(name), weight, name);
      }
      const optimum = runs.get(key(arch, 'optimum', 'fp32'))!;
      const genai = runs.get(key(arch, 'genai', 'fp32'))!;
      assert.deepEqual(
        genai.map((s) => s.token),
        optimum.map((s) => s.token),
      );
      assert.ok(relativeError(optimum[0].logits, genai[0].logits) < 1e-4);
    });

    test(`${arch}: greedy decoding neither repeats one token nor ignores the context`, async () => {
      const model = models.get(key(arch, 'optimum', 'fp32'))!;
      const session = sessions.get(key(arch, 'optimum', 'fp32'))!;
      const steps = await greedy(session, model, PROMPT, 16);
      assert.ok(new Set(steps.map((s) => s.token)).size >= 12, `tokens ${steps.map((s) => s.token)}`);
      // Same last token, other context: a model blind to its KV cache would not tell them apart.
      const [other] = await greedy(session, model, [...PROMPT.slice(0, -1).reverse(), PROMPT.at(-1)!], 1);
      const error = relativeError(runs.get(key(arch, 'optimum', 'fp32'))![0].logits, other.logits);
      assert.ok(error > 0.5, `context changes the logits by ${error}`);
    });

    for (const dtype of ['fp32', 'fp16', 'q4'] as const) {
      test(`${arch}: transformers.js loads the optimum ${dtype} folder and decodes greedily as the bare loop does`, async () => {
        env.allowRemoteModels = false;
        const model = models.get(key(arch, 'optimum', dtype))!;
        const hf = await AutoModelForCausalLM.from_pretrained(model.dir, { local_files_only: true, dtype });
        try {
          const output = (await hf.generate({
            input_ids: new HfTensor('int64', BigInt64Array.from(PROMPT, BigInt), [1, PROMPT.length]),
            attention_mask: new HfTensor('int64', new BigInt64Array(PROMPT.length).fill(1n), [1, PROMPT.length]),
            max_new_tokens: 8,
            do_sample: false,
          })) as HfTensor;
          const generated = (output.tolist() as bigint[][])[0].slice(PROMPT.length).map(Number);
          assert.deepEqual(
            generated,
            runs.get(key(arch, 'optimum', dtype))!.map((s) => s.token),
          );
        } finally {
          await hf.dispose();
        }
      });
    }
  }

  test('config files describe the model as the exporters write them', () => {
    const qwen = models.get(key('qwen2', 'optimum', 'q4'))!;
    const config = JSON.parse(readFileSync(join(qwen.dir, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'qwen2');
    assert.deepEqual(config.architectures, ['Qwen2ForCausalLM']);
    assert.equal(config.vocab_size, 151669);
    assert.equal(config.num_key_value_heads, TINY.kvHeads);
    assert.deepEqual(config['transformers.js_config'].use_external_data_format, { 'model_q4.onnx': true });
    const generation = JSON.parse(readFileSync(join(qwen.dir, 'generation_config.json'), 'utf8'));
    assert.deepEqual(generation.eos_token_id, [151645, 151643]);
    assert.match(JSON.parse(readFileSync(join(qwen.dir, 'tokenizer_config.json'), 'utf8')).chat_template, /im_start/);

    const genai = models.get(key('llama', 'genai', 'q4'))!;
    assert.deepEqual(genai.files.sort(), ['config.json', 'genai_config.json', 'model.onnx', 'model.onnx.data', 'tokenizer.json', 'tokenizer_config.json']);
    const genaiConfig = JSON.parse(readFileSync(join(genai.dir, 'genai_config.json'), 'utf8'));
    assert.equal(genaiConfig.model.type, 'llama');
    assert.equal(genaiConfig.model.decoder.head_size, TINY.hidden / TINY.heads);
    assert.deepEqual(genaiConfig.model.eos_token_id, [128001, 128009]);
  });

  test('the same seed gives the same weights, another seed others', () => {
    const dir = join(root, 'seeds');
    const options = { arch: 'llama', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'llama' } as const;
    const again = writeSyntheticModel(dir, { ...options, seed: SEED });
    const other = writeSyntheticModel(dir, { ...options, seed: SEED + 1 });
    const first = models.get(key('llama', 'optimum', 'fp32'))!;
    const name = 'model.layers.1.mlp.down_proj.weight';
    assert.deepEqual(again.weights.get(name), first.weights.get(name));
    assert.notDeepEqual(other.weights.get(name), first.weights.get(name));
  });

  test('a vocabulary smaller than the tokenizer cuts the tokenizer down to fit', async () => {
    const vocab = 4096;
    const model = writeSyntheticModel(join(root, 'small-vocab'), {
      arch: 'llama',
      style: 'optimum',
      dtype: 'fp32',
      shape: { ...TINY, vocab },
      tokenizer: 'llama',
      seed: SEED,
    });
    const read = (name: string): object => JSON.parse(readFileSync(join(model.dir, name), 'utf8'));
    const tokenizer = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
    const text = '<|start_header_id|>user<|end_header_id|>\n\nHéllo, wörld! 你好 🤗 naïve<|eot_id|>';
    // The package's .d.ts files use extensionless imports, so under NodeNext it types as any.
    const ids: number[] = tokenizer.encode(text, { add_special_tokens: false }).ids;
    assert.ok(ids.every((id) => id < vocab));
    assert.equal(tokenizer.decode(ids, { skip_special_tokens: false }), text);
    const idOf = (token: string): number => tokenizer.encode(token, { add_special_tokens: false }).ids[0] as number;
    assert.deepEqual(model.config.eosTokenIds, [idOf('<|end_of_text|>'), idOf('<|eot_id|>')]);
    assert.ok(model.config.eosTokenIds.every((id) => id < vocab));

    const session = await ort.InferenceSession.create(join(model.dir, model.modelFile));
    try {
      const steps = await greedy(session, model, ids, 3);
      assert.ok(steps.every((s) => s.token < vocab));
    } finally {
      await session.release();
    }
  });
});
