import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor as HfTensor } from '@huggingface/transformers';
import { encodePrompt, generateText, type GenerationRequest, type GenerationStats, type StopReason } from '../../src/runtime/generate-text.js';
import { loadDecoder, type LoadedDecoder } from '../../src/runtime/load-decoder.js';
import { loadTextModel, type TextModel } from '../../src/runtime/load-text-model.js';
import { inProcessTokens } from '../support/in-process-tokens.js';
import {
  TINY,
  writeSyntheticModel,
  type ModelShape,
  type SyntheticArch,
  type SyntheticDtype,
  type SyntheticStyle,
} from '../support/synthetic-model/index.js';

const SEED = 11;
/**
 * TINY with the tokenizers cut to their first 32,768 ids (special tokens kept): writing, loading
 * and tokenizer parsing scale with the vocabulary, and this halves the test's time. Both sides
 * read the same cut tokenizer; first-step-logits.test.ts runs the full vocabularies.
 */
const SHAPE: ModelShape = { ...TINY, vocab: 32768 };
const MAX_TOKENS = 24;
const ARCHS: SyntheticArch[] = ['llama', 'qwen2'];
const OPTIMUM_DTYPES: SyntheticDtype[] = ['fp32', 'fp16', 'q4'];
const GRAPHS: [SyntheticStyle, SyntheticDtype][] = [...OPTIMUM_DTYPES.map((dtype) => ['optimum', dtype] as [SyntheticStyle, SyntheticDtype]), ['genai', 'fp32']];
const REQUEST: GenerationRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Name three rivers in Europe.' },
  ],
  sampling: { temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 },
  maxTokens: MAX_TOKENS,
  stop: [],
  think: 'show',
};

interface OwmRun {
  ids: number[];
  stopReason: StopReason;
}

/** Runs owm's generation loop to the end; returns the generated ids and why it stopped. */
/** A model loaded in this thread: owm's two halves, which LocalModel keeps in two threads. */
interface LoadedModel extends TextModel {
  loaded: LoadedDecoder;
}

async function loadModel(dir: string, modelFile: string): Promise<LoadedModel> {
  const [text, loaded] = await Promise.all([loadTextModel(dir), loadDecoder({ dir, modelFile }, { device: 'cpu', threads: 1 })]);
  return { ...text, loaded };
}

async function owmGreedy(model: LoadedModel): Promise<OwmRun> {
  let run: OwmRun | undefined;
  let text = '';
  const onDone = (stats: GenerationStats): void => {
    run = { ids: stats.tokenIds, stopReason: stats.stopReason };
  };
  for await (const piece of generateText(model, REQUEST, inProcessTokens(model.loaded.decoder), { onDone })) text += piece;
  assert.ok(run, 'generateText reported no statistics');
  // The streamed pieces add up to the reply, special tokens left out, whatever bytes the ids decode to.
  assert.equal(text, model.tokenizer.decode(run.ids, { skipSpecialTokens: true }));
  return run;
}

/** transformers.js greedy decoding of the folder's `dtype` graph from `promptIds`; returns the new ids (an EOS it stopped at included). */
async function transformersGreedy(dir: string, dtype: SyntheticDtype, promptIds: number[], eosTokenIds?: number[]): Promise<number[]> {
  const hf = await AutoModelForCausalLM.from_pretrained(dir, { local_files_only: true, dtype });
  try {
    const output = (await hf.generate({
      input_ids: new HfTensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]),
      attention_mask: new HfTensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]),
      max_new_tokens: MAX_TOKENS,
      do_sample: false,
      ...(eosTokenIds && { eos_token_id: eosTokenIds }),
    })) as HfTensor;
    return (output.tolist() as bigint[][])[0].slice(promptIds.length).map(Number);
  } finally {
    await hf.dispose();
  }
}

describe('owm greedy generation against transformers.js', () => {
  const root = mkdtempSync(join(tmpdir(), 'owm-greedy-'));
  const dirOf = (arch: SyntheticArch, style: SyntheticStyle): string => join(root, `${arch}-${style}`);
  const key = (arch: SyntheticArch, style: SyntheticStyle, dtype: SyntheticDtype): string => `${arch}/${style}/${dtype}`;
  const runs = new Map<string, OwmRun>();
  /** Each arch's optimum fp32 model, kept loaded for the prompt and EOS tests. */
  const fp32Models = new Map<SyntheticArch, LoadedModel>();

  before(async () => {
    env.allowRemoteModels = false;
    for (const arch of ARCHS) {
      for (const [style, dtype] of GRAPHS) {
        const { modelFile } = writeSyntheticModel(dirOf(arch, style), {
          arch,
          style,
          dtype,
          shape: SHAPE,
          tokenizer: arch === 'llama' ? 'llama' : 'qwen',
          seed: SEED,
          tieEmbeddings: arch === 'qwen2',
        });
        const model = await loadModel(dirOf(arch, style), modelFile);
        runs.set(key(arch, style, dtype), await owmGreedy(model));
        if (style === 'optimum' && dtype === 'fp32') fp32Models.set(arch, model);
        else await model.loaded.session.session.release();
      }
    }
  });

  after(async () => {
    for (const model of fp32Models.values()) await model.loaded.session.session.release();
    rmSync(root, { recursive: true, force: true });
  });

  for (const arch of ARCHS) {
    test(`${arch}: owm's chat prompt ids are transformers.js apply_chat_template's`, async () => {
      const tokenizer = await AutoTokenizer.from_pretrained(dirOf(arch, 'optimum'), { local_files_only: true });
      const expected = tokenizer.apply_chat_template(REQUEST.messages!, {
        add_generation_prompt: true,
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      });
      assert.deepEqual(encodePrompt(fp32Models.get(arch)!, REQUEST).ids, expected);
    });

    for (const dtype of OPTIMUM_DTYPES) {
      test(`${arch} optimum ${dtype}: owm decodes the same ${MAX_TOKENS} greedy ids as transformers.js`, async () => {
        // The dtypes share the folder, hence its tokenizer and chat template.
        const promptIds = encodePrompt(fp32Models.get(arch)!, REQUEST).ids;
        const expected = await transformersGreedy(dirOf(arch, 'optimum'), dtype, promptIds);
        // Neither side met an EOS id: both ran the whole budget.
        assert.equal(expected.length, MAX_TOKENS);
        assert.deepEqual(runs.get(key(arch, 'optimum', dtype)), { ids: expected, stopReason: 'max-tokens' });
      });
    }

    test(`${arch}: the genai folder decodes what the optimum fp32 folder of the same weights does`, () => {
      assert.deepEqual(runs.get(key(arch, 'genai', 'fp32')), runs.get(key(arch, 'optimum', 'fp32')));
    });

    test(`${arch}: both stop at the same EOS, owm leaving it out of the reply`, async () => {
      const model = fp32Models.get(arch)!;
      const free = runs.get(key(arch, 'optimum', 'fp32'))!.ids;
      // These weights reach no real EOS id within the budget, so a token they do pick is made one.
      const at = free.findIndex((id, i) => i >= 5 && free.indexOf(id) === i);
      assert.ok(at >= 5, `no token of ${free} appears first after step 5`);
      const eosTokenIds = [...model.defaults.eosTokenIds, free[at]];
      const stopped = await owmGreedy({ ...model, defaults: { ...model.defaults, eosTokenIds } });
      assert.deepEqual(stopped, { ids: free.slice(0, at), stopReason: 'eos' });
      const expected = await transformersGreedy(dirOf(arch, 'optimum'), 'fp32', encodePrompt(model, REQUEST).ids, eosTokenIds);
      assert.deepEqual(expected, free.slice(0, at + 1));
    });
  }
});
