import type { CompiledGrammar, GrammarCompiler } from '@mlc-ai/web-xgrammar';
import { callXgrammar } from './call-xgrammar.js';
import type { GrammarSpec } from './grammar-spec.js';
import { readGrammarVocabulary } from './grammar-vocabulary.js';
import { loadXgrammar } from './load-xgrammar.js';
import { TokenConstraint } from './token-constraint.js';

/** Compiled grammars kept per model: a server sees the same few schemas again and again. */
const MAX_COMPILED = 16;

/**
 * One model's grammar compiler, built on first use from its tokenizer (0.2 s for a 150k
 * vocabulary) and kept with the model; compiled grammars are kept for reuse, least recently used
 * dropped first.
 */
export class GrammarCompilers {
  private readonly compilers = new Map<string, Promise<GrammarCompiler>>();
  private readonly compiled = new Map<string, Promise<CompiledGrammar>>();

  /**
   * @param dir the model folder (its tokenizer.json)
   * @param vocabSize the graph's logits width
   */
  constructor(
    private readonly dir: string,
    private readonly vocabSize: number,
  ) {}

  /** A fresh constraint following `spec` from the first generated token; `stopTokenIds` may end it once complete. */
  async constrain(spec: GrammarSpec, stopTokenIds: readonly number[]): Promise<TokenConstraint> {
    const grammar = await this.compile(spec);
    const xgrammar = await loadXgrammar();
    const matcher = await xgrammar.GrammarMatcher.createGrammarMatcher(grammar, [...stopTokenIds]);
    return new TokenConstraint(matcher, stopTokenIds);
  }

  private compile(spec: GrammarSpec): Promise<CompiledGrammar> {
    const key = JSON.stringify(spec);
    let compiled = this.compiled.get(key);
    if (compiled) {
      this.compiled.delete(key);
    } else {
      compiled = this.compileFresh(spec);
      compiled.catch(() => this.compiled.delete(key));
    }
    this.compiled.set(key, compiled);
    for (const [oldest, entry] of this.compiled) {
      if (this.compiled.size <= MAX_COMPILED) break;
      this.compiled.delete(oldest);
      void entry.then((grammar) => grammar.dispose(), () => undefined);
    }
    return compiled;
  }

  private async compileFresh(spec: GrammarSpec): Promise<CompiledGrammar> {
    const compiler = await this.compiler(spec.type === 'structural-tag' ? spec.literalTokens : []);
    if (spec.type === 'json-schema') {
      return callXgrammar('The JSON Schema cannot be used', () => compiler.compileJSONSchema(spec.schema, false, -1));
    }
    return callXgrammar('The tool-call grammar cannot be used', () => compiler.compileStructuralTag(spec.tag));
  }

  private compiler(literalTokens: readonly string[]): Promise<GrammarCompiler> {
    const key = JSON.stringify(literalTokens);
    let compiler = this.compilers.get(key);
    if (!compiler) {
      compiler = this.createCompiler(literalTokens);
      this.compilers.set(key, compiler);
    }
    return compiler;
  }

  private async createCompiler(literalTokens: readonly string[]): Promise<GrammarCompiler> {
    const xgrammar = await loadXgrammar();
    const vocabulary = await readGrammarVocabulary(this.dir, literalTokens);
    const info = await xgrammar.TokenizerInfo.createTokenizerInfo(
      vocabulary.encodedVocab,
      vocabulary.vocabType,
      vocabulary.prependSpace,
      Math.max(this.vocabSize, vocabulary.encodedVocab.length),
    );
    return xgrammar.GrammarCompiler.createGrammarCompiler(info);
  }
}
