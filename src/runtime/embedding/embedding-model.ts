import { existsSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OwmError, RuntimeError } from '../../errors.js';
import type { EmbeddingSpec } from '../../registry/model-entry-schema.js';
import { createSession, type CreatedSession, type SessionSettings } from '../create-session.js';
import { float16ToFloat32 } from '../float16.js';
import type { ModelLocation } from '../load-decoder.js';
import { loadTokenizer, type ModelTokenizer } from '../load-tokenizer.js';
import { readJsonObject } from '../read-json-object.js';
import { normalizeVector } from './normalize-vector.js';
import { planBatches, type BatchLimits } from './plan-batches.js';
import { poolHiddenStates } from './pool-hidden-states.js';
import { readEmbeddingSignature, type EmbeddingSignature } from './read-embedding-signature.js';
import { readPoolingConfig, type PoolingConfig } from './read-pooling-config.js';

/** Facts about a loaded embedding model. */
export interface EmbeddingInfo extends PoolingConfig {
  /** Length of the vectors. */
  dimensions: number;
  /** Most tokens one text may have (the model's positions), when the folder says. */
  maxTokens?: number;
  device: CreatedSession['device'];
  threads: number;
  fallbackReason?: string;
  loadMs: number;
}

/** Options of one `embed` call. */
export interface EmbedOptions {
  /** Cut texts longer than the model's positions instead of refusing them. @default false */
  truncate?: boolean;
  /** Keep the first `dimensions` values of each vector and rescale them to length 1 (for models trained for it). */
  dimensions?: number;
}

/** The vectors of some texts, in their order, and the tokens each was fed as. */
export interface Embeddings {
  vectors: Float32Array[];
  tokenCounts: number[];
}

/** Small batches measured faster than one big one on CPU (bench:embeddings), and bound the memory many texts need. */
const BATCH_LIMITS: BatchLimits = { maxRows: 16, maxTokens: 4096 };
/** Tokenizer configs write a huge `model_max_length` when they mean "no limit". */
const NO_LIMIT = 1e9;

/**
 * A sentence-embedding model: an encoder (BERT-style) or a decoder without its LM head, run on
 * the caller's thread. Texts are tokenized, grouped by length into padded batches (one
 * `session.run` each), and each row's token states are pooled and normalized as the folder says.
 */
export class EmbeddingModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly signature: EmbeddingSignature,
    private readonly tokenizer: ModelTokenizer,
    readonly info: EmbeddingInfo,
  ) {}

  /** Loads the graph at `location`; `spec` (a registry entry's) pools when the folder has no modules.json. */
  static async load(location: ModelLocation, settings: SessionSettings, spec?: EmbeddingSpec): Promise<EmbeddingModel> {
    const started = performance.now();
    const modelPath = path.join(location.dir, location.modelFile);
    if (!existsSync(modelPath)) throw new RuntimeError(`The model graph ${modelPath} is missing: pull the model again.`, { code: 'missing-files' });
    const [tokenizer, pooling, config, tokenizerConfig] = await Promise.all([
      loadTokenizer(location.dir),
      readPoolingConfig(location.dir, spec),
      readJsonObject(path.join(location.dir, 'config.json')),
      readJsonObject(path.join(location.dir, 'tokenizer_config.json')),
    ]);
    // The load-time optimizer rewrites decoders for generation; embedding graphs load as published.
    const created = await createSession(modelPath, { ...settings, optimize: undefined });
    let signature: EmbeddingSignature;
    try {
      signature = readEmbeddingSignature(created.session, location.modelFile);
    } catch (error) {
      await created.session.release();
      throw error;
    }
    const dimensions = numberField(config?.hidden_size) ?? spec?.dimensions;
    if (dimensions === undefined) {
      await created.session.release();
      throw new RuntimeError(`${path.join(location.dir, 'config.json')} does not say the model's hidden_size: pull the model again.`, { code: 'missing-files' });
    }
    const limits = [numberField(config?.max_position_embeddings), numberField(tokenizerConfig?.model_max_length)].filter((n): n is number => n !== undefined && n < NO_LIMIT);
    return new EmbeddingModel(created.session, signature, tokenizer, {
      ...pooling,
      dimensions,
      maxTokens: limits.length > 0 ? Math.min(...limits) : undefined,
      device: created.device,
      threads: created.threads,
      fallbackReason: created.fallbackReason,
      loadMs: performance.now() - started,
    });
  }

  /** The vectors of `texts`, in their order; a text over the model's positions is an error unless `truncate`. */
  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Embeddings> {
    const { dimensions } = options;
    if (dimensions !== undefined && (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > this.info.dimensions)) {
      throw new OwmError(`dimensions must be a whole number from 1 to ${this.info.dimensions} (this model's vector length), got ${dimensions}.`, { code: 'usage' });
    }
    const ids = texts.map((text, index) => this.tokenize(text, index, options.truncate === true));
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    for (const batch of planBatches(ids.map((row) => row.length), BATCH_LIMITS)) {
      const pooled = await this.run(batch.map((index) => ids[index] as number[]));
      batch.forEach((index, row) => (vectors[index] = this.finish(pooled[row] as Float32Array, dimensions)));
    }
    return { vectors, tokenCounts: ids.map((row) => row.length) };
  }

  /** Frees the session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }

  private tokenize(text: string, index: number, truncate: boolean): number[] {
    const ids = this.tokenizer.encode(text);
    if (ids.length === 0) throw new OwmError(`Input ${index + 1} gives no tokens: send some text.`, { code: 'usage' });
    const max = this.info.maxTokens;
    if (max === undefined || ids.length <= max) return ids;
    if (!truncate) {
      throw new OwmError(`Input ${index + 1} is ${ids.length} tokens, over this model's ${max}: shorten it, or truncate it (--truncate, "truncate": true).`, {
        code: 'context-overflow',
      });
    }
    return this.truncated(ids, max);
  }

  /** The first tokens of the text, keeping the special tokens that open and close it ([CLS] ... [SEP]). */
  private truncated(ids: number[], max: number): number[] {
    const special = this.tokenizer.specialTokenIds;
    let head = 0;
    while (head < ids.length && special.has(ids[head] as number)) head++;
    let tail = 0;
    while (tail < ids.length - head && special.has(ids[ids.length - 1 - tail] as number)) tail++;
    if (head + tail >= max) return ids.slice(0, max);
    return [...ids.slice(0, max - tail), ...ids.slice(ids.length - tail)];
  }

  /** One forward pass over right-padded rows; returns each row's pooled (not yet normalized) vector. */
  private async run(rows: number[][]): Promise<Float32Array[]> {
    const { signature } = this;
    const batch = rows.length;
    const length = Math.max(...rows.map((row) => row.length));
    const inputIds = new BigInt64Array(batch * length).fill(BigInt(this.tokenizer.padTokenId ?? 0));
    const mask = new BigInt64Array(batch * length);
    const positions = new BigInt64Array(batch * length);
    rows.forEach((row, r) => {
      row.forEach((id, i) => {
        inputIds[r * length + i] = BigInt(id);
        mask[r * length + i] = 1n;
      });
      for (let i = 0; i < length; i++) positions[r * length + i] = BigInt(i);
    });
    const shape = [batch, length];
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', inputIds, shape) };
    if (signature.hasAttentionMask) feeds.attention_mask = new ort.Tensor('int64', mask, shape);
    if (signature.hasTokenTypeIds) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * length), shape);
    if (signature.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', positions, shape);
    const { past } = signature;
    if (past) {
      const empty = past.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      for (const name of past.names) feeds[name] = new ort.Tensor(past.type, empty, [batch, past.kvHeads, 0, past.headDim]);
    }
    // Fetching only the token states skips copying out a decoder's KV cache.
    const outputs = await this.session.run(feeds, [signature.output]);
    const output = outputs[signature.output] as ort.Tensor;
    const data = signature.outputType === 'float16' ? float16ToFloat32(output.data as Uint16Array) : (output.data as Float32Array);
    const states = { data, length, hidden: Number(output.dims[2]) };
    return rows.map((row, r) => poolHiddenStates(states, r, row.length, this.info.pooling));
  }

  private finish(vector: Float32Array, dimensions: number | undefined): Float32Array {
    const kept = dimensions === undefined ? vector : vector.slice(0, dimensions);
    // A shortened vector is rescaled whatever the model's own setting, as OpenAI's `dimensions` returns unit vectors.
    return this.info.normalize || dimensions !== undefined ? normalizeVector(kept) : kept;
  }
}

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
