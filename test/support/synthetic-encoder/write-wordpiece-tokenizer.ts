import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = (
  'the a an of to in and is are was be it that this for on with as by at from or not but what which who how ' +
  'cat cats dog dogs sat mat house river rivers city cities search query model models text vector vectors ' +
  'local run runs running fast slow small big embed embedding embeddings open weight weights paris london europe'
).split(' ');
const SUFFIXES = ['s', 'ing', 'ed', 'er', 'ly', 'est'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const PUNCTUATION = ['.', ',', '!', '?', "'", '-', ':'];

/** The vocabulary of the written tokenizer: specials first ([PAD] is 0), then words, letters, `##` pieces and punctuation. */
export function wordpieceVocab(): string[] {
  return [...SPECIALS, ...WORDS, ...LETTERS, ...LETTERS.map((c) => `##${c}`), ...SUFFIXES.map((s) => `##${s}`), ...PUNCTUATION];
}

/**
 * Writes a BERT-style WordPiece `tokenizer.json` (BertNormalizer lowercasing, BertPreTokenizer,
 * `[CLS] $A [SEP]`) with `tokenizer_config.json` and `special_tokens_map.json`; any lowercase ASCII
 * word tokenizes, through single letters when it is not in the vocabulary. Returns the vocabulary size.
 */
export function writeWordpieceTokenizer(dir: string, maxLength: number): number {
  const vocab = wordpieceVocab();
  const ids = Object.fromEntries(vocab.map((token, id) => [token, id]));
  const special = (token: string): Record<string, unknown> => ({ id: token, ids: [ids[token]], tokens: [token] });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: ids },
  };
  const names = { pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', mask_token: '[MASK]' };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ ...names, do_lower_case: true, model_max_length: maxLength, tokenizer_class: 'BertTokenizer', clean_up_tokenization_spaces: true }, null, 2),
  );
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(names, null, 2));
  return vocab.length;
}
