import * as ort from 'onnxruntime-node';
import { commonPrefixLength } from './common-prefix-length.js';
import { kvCapacity } from './kv-capacity.js';
import { logitsRow } from './logits-row.js';
import type { GraphSignature } from './graph-signature.js';
import type { DraftVerifier, SequenceDecoder } from './sequence-decoder.js';

/**
 * How the KV cache lives between steps:
 * - `grow`: each step's `present` outputs become the next step's `past` inputs (any graph);
 * - `shared`: one buffer per layer, sized for the whole sequence, passed as both the `past` input
 *   and the `present` output, so ONNX Runtime appends in place. Only graphs built on
 *   GroupQueryAttention support it (onnxruntime-genai exports). onnxruntime-node still copies the
 *   fetched buffer into a new one after each run;
 * - `append`: the same buffers as `past` inputs, but the graph returns only the new rows
 *   (`present_rows.*`, owm's fused graphs), which are copied into place here: nothing of the
 *   cache's size is allocated per step. The buffers grow in steps (`kvCapacity`) rather than to
 *   the capacity announced, since the graph's attention reads every row it is given, and a
 *   prompt over an empty cache is fed an empty past.
 */
export type KvStrategy = 'grow' | 'shared' | 'append';

/**
 * Runs a decoder graph step by step while keeping its KV cache: `forward` feeds new tokens (a
 * prompt's chunks, then one token per step) and returns the last position's logits; `forwardEach`
 * returns every fed position's, to check drafted tokens, and `rewind` drops the rows of those
 * the model did not choose.
 */
export class KvDecoder implements SequenceDecoder, DraftVerifier {
  private past = new Map<string, ort.Tensor>();
  /** The ids whose rows the cache holds, in order. */
  private cachedIds: number[] = [];
  private capacity = 0;
  private readonly fetchNames: string[];

  readonly strategy: KvStrategy;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly signature: GraphSignature,
    /** @default `append` for graphs that return new rows (the only strategy they allow), else `grow` */
    strategy?: KvStrategy,
    /** The first position id: 0, but 1 for Gemma 3, whose exports were traced that way. */
    private readonly firstPosition = 0,
  ) {
    const rowsOnly = signature.kvOutputs === 'new-rows';
    this.strategy = strategy ?? (rowsOnly ? 'append' : 'grow');
    if (rowsOnly !== (this.strategy === 'append')) {
      throw new Error(`KvDecoder: the ${this.strategy} strategy needs a graph with ${rowsOnly ? 'whole-cache' : 'new-row'} KV outputs`);
    }
    this.fetchNames = ['logits', ...signature.layers.flatMap((layer) => [layer.presentKey, layer.presentValue])];
    this.reset(0);
  }

  /** Tokens in the cache. */
  get length(): number {
    return this.cachedIds.length;
  }

  /**
   * Empties the cache for a new sequence. `capacity` (prompt and reply tokens), when known, lets
   * the shared strategy allocate its buffers once; the others grow as needed.
   */
  reset(capacity = 0): void {
    this.cachedIds = [];
    if (this.strategy === 'shared' && capacity > this.capacity) this.allocateBuffers(capacity);
    if (this.strategy === 'grow') this.past = this.emptyPast();
  }

  /** Cache inputs of no rows, for a graph's first run. */
  private emptyPast(): Map<string, ort.Tensor> {
    const { kvType, kvHeads, headDim, layers } = this.signature;
    const empty = new ort.Tensor(kvType, kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, kvHeads, 0, headDim]);
    return new Map(layers.flatMap((layer) => [[layer.pastKey, empty], [layer.pastValue, empty]]));
  }

  /**
   * Starts a sequence beginning with `promptIds`, keeping the rows of the longest prefix it shares
   * with what the cache holds (a chat's earlier turns), but always leaving at least one id to feed.
   * Returns how many leading ids are kept: feed `promptIds.slice(kept)` next.
   */
  startSequence(promptIds: readonly number[], capacity: number): number {
    const kept = Math.min(commonPrefixLength(this.cachedIds, promptIds), promptIds.length - 1);
    if (kept <= 0) {
      this.reset(capacity);
      return 0;
    }
    this.rewind(kept);
    if (this.strategy === 'shared' && capacity > this.capacity) this.allocateBuffers(capacity);
    return kept;
  }

  /** Drops the cached rows after the first `length` (a shared prefix's tail, or drafted tokens the model did not choose). */
  rewind(length: number): void {
    if (length >= this.length) return;
    if (this.strategy === 'grow') this.truncateGrown(length);
    // The fixed-capacity buffers keep their later rows, which the attention mask hides until overwritten.
    this.cachedIds.length = length;
  }

  /** Cuts the grow strategy's caches ([1, heads, length, headDim]) to their first `rows` rows. */
  private truncateGrown(rows: number): void {
    if (rows === this.length) return;
    const { kvHeads, headDim } = this.signature;
    for (const [name, tensor] of this.past) {
      const source = tensor.data as Float32Array | Uint16Array;
      const data = source instanceof Uint16Array ? new Uint16Array(kvHeads * rows * headDim) : new Float32Array(kvHeads * rows * headDim);
      for (let head = 0; head < kvHeads; head++) {
        const from = head * this.length * headDim;
        data.set(source.subarray(from, from + rows * headDim), head * rows * headDim);
      }
      this.past.set(name, new ort.Tensor(tensor.type as 'float32' | 'float16', data, [1, kvHeads, rows, headDim]));
    }
  }

  /** (Re)allocates the fixed-capacity buffers for `capacity` tokens, keeping the rows already cached. */
  private allocateBuffers(capacity: number): void {
    const { kvType, kvHeads, headDim } = this.signature;
    const size = kvHeads * capacity * headDim;
    const rowBlock = this.length * headDim;
    const grown = new Map<string, ort.Tensor>();
    for (const name of this.signature.layers.flatMap((layer) => [layer.pastKey, layer.pastValue])) {
      const data = kvType === 'float16' ? new Uint16Array(size) : new Float32Array(size);
      const old = this.past.get(name);
      if (old && rowBlock > 0) {
        // Layout [1, heads, capacity, headDim]: each head's rows move to the new stride.
        const source = old.data as Float32Array | Uint16Array;
        for (let head = 0; head < kvHeads; head++) {
          data.set(source.subarray(head * this.capacity * headDim, head * this.capacity * headDim + rowBlock), head * capacity * headDim);
        }
      }
      grown.set(name, new ort.Tensor(kvType, data, [1, kvHeads, capacity, headDim]));
    }
    this.past = grown;
    this.capacity = capacity;
  }

  /** Feeds `ids` after what the cache holds; returns the logits of the last fed position. */
  async forward(ids: readonly number[]): Promise<Float32Array> {
    return logitsRow(await this.run(ids, 1));
  }

  /** This decoder, where its graph can return the logits of every position a pass feeds (`forwardEach`). */
  get verifier(): DraftVerifier | undefined {
    return this.signature.logitsForEachPosition ? this : undefined;
  }

  /** Feeds `ids` after what the cache holds; returns the logits of each of their positions, in order. */
  async forwardEach(ids: readonly number[]): Promise<Float32Array[]> {
    if (!this.verifier) throw new Error('KvDecoder.forwardEach: this graph returns the logits of the last position only');
    const logits = await this.run(ids, ids.length);
    const rows = logits.data.length / Number(logits.dims[logits.dims.length - 1]);
    return ids.map((_, i) => logitsRow(logits, rows - ids.length + i));
  }

  /** One pass over `ids`, keeping the logits of the last `keep` positions where the graph lets it choose; returns the logits. */
  private async run(ids: readonly number[], keep: number): Promise<ort.Tensor> {
    const { signature } = this;
    const count = ids.length;
    const total = this.length + count;
    if (this.strategy === 'shared' && total > this.capacity) this.allocateBuffers(Math.max(total, 2 * this.capacity, 256));
    if (this.strategy === 'append' && total > this.capacity) this.allocateBuffers(kvCapacity(total));
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, count]),
    };
    if (signature.hasAttentionMask) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    if (signature.hasPositionIds) {
      const positions = new BigInt64Array(count);
      for (let i = 0; i < count; i++) positions[i] = BigInt(this.firstPosition + this.length + i);
      feeds.position_ids = new ort.Tensor('int64', positions, [1, count]);
    }
    if (signature.hasNumLogitsToKeep) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(keep)), []);
    if (signature.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(this.length > 0 ? 1 : 0), [1]);
    const past = this.strategy === 'append' && this.length === 0 ? this.emptyPast() : this.past;
    for (const [name, tensor] of past) feeds[name] = tensor;

    if (this.strategy === 'shared') {
      const fetches: Record<string, ort.Tensor | null> = { logits: null };
      for (const layer of signature.layers) {
        fetches[layer.presentKey] = this.past.get(layer.pastKey) as ort.Tensor;
        fetches[layer.presentValue] = this.past.get(layer.pastValue) as ort.Tensor;
      }
      const outputs = await this.session.run(feeds, fetches as ort.InferenceSession.FetchesType);
      this.advance(ids);
      return outputs.logits;
    }
    const outputs = await this.session.run(feeds, this.fetchNames);
    for (const layer of signature.layers) {
      if (this.strategy === 'append') {
        this.appendRows(layer.pastKey, outputs[layer.presentKey], count);
        this.appendRows(layer.pastValue, outputs[layer.presentValue], count);
      } else {
        this.past.set(layer.pastKey, outputs[layer.presentKey]);
        this.past.set(layer.pastValue, outputs[layer.presentValue]);
      }
    }
    this.advance(ids);
    return outputs.logits;
  }

  /** Records `ids` as cached after a successful run. */
  private advance(ids: readonly number[]): void {
    for (const id of ids) this.cachedIds.push(id);
  }

  /** Copies `count` new rows ([1, heads, count, headDim]) after the cached ones in the buffer of `pastName`. */
  private appendRows(pastName: string, rows: ort.Tensor, count: number): void {
    const { kvHeads, headDim } = this.signature;
    const target = (this.past.get(pastName) as ort.Tensor).data as Float32Array | Uint16Array;
    const source = rows.data as Float32Array | Uint16Array;
    const block = count * headDim;
    for (let head = 0; head < kvHeads; head++) {
      target.set(source.subarray(head * block, (head + 1) * block), (head * this.capacity + this.length) * headDim);
    }
  }
}
