import path from 'node:path';
import { RuntimeError } from '../../errors.js';
import { readJsonObject, type JsonObject as Json } from '../read-json-object.js';

/** A tokenizer's vocabulary as xgrammar takes it. */
export interface GrammarVocabulary {
  /** Each id's token as tokenizer.json spells it; '' for special tokens, which the grammar never emits. */
  encodedVocab: string[];
  /** How those spellings map to bytes: byte-level BPE (Ġ for space), sentencepiece with <0x0A> bytes, or plain text. */
  vocabType: 'byte_level' | 'byte_fallback' | 'raw';
  /** Sentencepiece tokenizers that add `▁` before the first word. */
  prependSpace: boolean;
}

/**
 * Reads the vocabulary from a model folder's tokenizer.json, as xgrammar's own Hugging Face
 * loader does: the type from the decoder, special added tokens blanked out except `literalTokens`.
 */
export async function readGrammarVocabulary(dir: string, literalTokens: readonly string[]): Promise<GrammarVocabulary> {
  const file = path.join(dir, 'tokenizer.json');
  const tokenizer = await readJsonObject(file);
  if (!tokenizer) throw new RuntimeError(`${dir} has no tokenizer.json, which structured output needs.`, { code: 'missing-tokenizer' });
  const model = (tokenizer.model ?? {}) as Json;
  const encodedVocab: string[] = [];
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] in id order.
    vocab.forEach((entry, id) => (encodedVocab[id] = String((entry as unknown[])[0])));
  } else if (vocab && typeof vocab === 'object') {
    for (const [token, id] of Object.entries(vocab as Record<string, number>)) encodedVocab[id] = token;
  }
  const literal = new Set(literalTokens);
  for (const added of (tokenizer.added_tokens ?? []) as Json[]) {
    const content = String(added.content);
    encodedVocab[Number(added.id)] = added.special === true && !literal.has(content) ? '' : content;
  }
  for (let id = 0; id < encodedVocab.length; id++) encodedVocab[id] ??= '';
  return { encodedVocab, ...vocabularyKind(tokenizer) };
}

function vocabularyKind(tokenizer: Json): Pick<GrammarVocabulary, 'vocabType' | 'prependSpace'> {
  const decoders = flatten(tokenizer.decoder as Json | undefined);
  if (decoders.some((decoder) => decoder.type === 'ByteLevel')) return { vocabType: 'byte_level', prependSpace: false };
  if (decoders.some((decoder) => decoder.type === 'ByteFallback')) {
    const prepends = flatten(tokenizer.normalizer as Json | undefined).some((n) => n.type === 'Prepend' && n.prepend === '▁');
    const metaspace = flatten(tokenizer.pre_tokenizer as Json | undefined).some(
      (p) => p.type === 'Metaspace' && (p.prepend_scheme === 'first' || p.prepend_scheme === 'always' || p.add_prefix_space === true),
    );
    return { vocabType: 'byte_fallback', prependSpace: prepends || metaspace };
  }
  return { vocabType: 'raw', prependSpace: false };
}

/** A component and the members of a Sequence of them. */
function flatten(component: Json | undefined): Json[] {
  if (!component) return [];
  const members = (component.decoders ?? component.normalizers ?? component.pretokenizers) as Json[] | undefined;
  return [component, ...(members ?? []).flatMap(flatten)];
}
