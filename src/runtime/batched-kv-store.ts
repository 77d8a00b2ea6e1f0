import * as ort from 'onnxruntime-node';
import type { GraphSignature } from './graph-signature.js';
import { kvCapacity } from './kv-capacity.js';

type KvArray = Float32Array | Uint16Array;

/**
 * The KV caches of several slots in one buffer per cache tensor, laid out [slots, heads, capacity,
 * headDim]: a slot's rows are one contiguous region, so a run over slots [first, first + count)
 * takes a view of the buffer (no copy), whether it is one slot's prefill or a batched step. Every
 * slot has the same capacity; it grows, like the slot count, by reallocating and keeping the rows.
 * The graph's attention reads every row of a view, so capacity grows only as far as tokens need.
 */
export class BatchedKvStore {
  private readonly buffers = new Map<string, KvArray>();
  private slots = 0;
  private capacity = 0;

  constructor(private readonly signature: GraphSignature) {}

  /** Room for `slot` and `tokens` rows in every slot; grows in steps (`kvCapacity`) when it must grow. */
  reserve(slot: number, tokens: number): void {
    const slots = Math.max(this.slots, slot + 1);
    const capacity = tokens > this.capacity ? kvCapacity(tokens) : this.capacity;
    if (slots !== this.slots || capacity !== this.capacity) this.reallocate(slots, capacity);
  }

  /** The past inputs (`past_key_values.*`) of slots [first, first + count); of no rows when `empty` (a prompt over an empty cache). */
  pastFeeds(first: number, count: number, empty = false): Record<string, ort.Tensor> {
    const { kvType, kvHeads, headDim } = this.signature;
    const size = empty ? 0 : this.slotSize;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, buffer] of this.buffers) {
      feeds[name] = new ort.Tensor(kvType, buffer.subarray(first * size, (first + count) * size), [count, kvHeads, empty ? 0 : this.capacity, headDim]);
    }
    return feeds;
  }

  /**
   * Copies the new rows of batch row `row` from a run's outputs (`present_rows.*`: [batch, heads,
   * fed, headDim]) into `slot`'s cache at position `at`.
   */
  write(outputs: ort.InferenceSession.OnnxValueMapType, row: number, slot: number, at: number): void {
    const { kvHeads, headDim, layers } = this.signature;
    for (const layer of layers) {
      for (const [past, present] of [
        [layer.pastKey, layer.presentKey],
        [layer.pastValue, layer.presentValue],
      ] as const) {
        const rows = outputs[present] as ort.Tensor;
        const source = rows.data as KvArray;
        const block = Number(rows.dims[2]) * headDim;
        const target = this.buffers.get(past) as KvArray;
        for (let head = 0; head < kvHeads; head++) {
          const from = (row * kvHeads + head) * block;
          target.set(source.subarray(from, from + block), slot * this.slotSize + (head * this.capacity + at) * headDim);
        }
      }
    }
  }

  private get slotSize(): number {
    return this.signature.kvHeads * this.capacity * this.signature.headDim;
  }

  private reallocate(slots: number, capacity: number): void {
    const { kvType, kvHeads, headDim, layers } = this.signature;
    const oldRegion = this.capacity * headDim;
    for (const name of layers.flatMap((layer) => [layer.pastKey, layer.pastValue])) {
      const size = slots * kvHeads * capacity * headDim;
      const grown = kvType === 'float16' ? new Uint16Array(size) : new Float32Array(size);
      const old = this.buffers.get(name);
      if (old) {
        // Each (slot, head) block of rows moves to the new stride.
        for (let block = 0; block < this.slots * kvHeads; block++) {
          grown.set(old.subarray(block * oldRegion, (block + 1) * oldRegion), block * capacity * headDim);
        }
      }
      this.buffers.set(name, grown);
    }
    this.slots = slots;
    this.capacity = capacity;
  }
}
