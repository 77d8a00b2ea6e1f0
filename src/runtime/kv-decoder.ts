import * as ort from 'onnxruntime-node';
import { float16ToFloat32 } from './float16.js';
import type { GraphSignature } from './graph-signature.js';

/**
 * Runs a decoder graph step by step while keeping its KV cache: `forward` feeds new tokens (the
 * whole prompt at once, then one token per step) and returns the last position's logits.
 */
export class KvDecoder {
  private past = new Map<string, ort.Tensor>();
  private pastLength = 0;
  private readonly fetches: string[];

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly signature: GraphSignature,
  ) {
    this.fetches = ['logits', ...signature.layers.flatMap((layer) => [layer.presentKey, layer.presentValue])];
    this.reset();
  }

  /** Tokens in the cache. */
  get length(): number {
    return this.pastLength;
  }

  /** Empties the cache for a new sequence. */
  reset(): void {
    const { kvType, kvHeads, headDim, layers } = this.signature;
    const empty = new ort.Tensor(kvType, kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, kvHeads, 0, headDim]);
    this.past = new Map(layers.flatMap((layer) => [[layer.pastKey, empty], [layer.pastValue, empty]]));
    this.pastLength = 0;
  }

  /** Feeds `ids` after what the cache holds; returns the logits of the last fed position. */
  async forward(ids: readonly number[]): Promise<Float32Array> {
    const { signature } = this;
    const count = ids.length;
    const total = this.pastLength + count;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, count]),
    };
    if (signature.hasAttentionMask) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    if (signature.hasPositionIds) {
      const positions = new BigInt64Array(count);
      for (let i = 0; i < count; i++) positions[i] = BigInt(this.pastLength + i);
      feeds.position_ids = new ort.Tensor('int64', positions, [1, count]);
    }
    if (signature.hasNumLogitsToKeep) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    if (signature.hasUseCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(this.pastLength > 0 ? 1 : 0), [1]);
    for (const [name, tensor] of this.past) feeds[name] = tensor;

    const outputs = await this.session.run(feeds, this.fetches);
    for (const layer of signature.layers) {
      this.past.set(layer.pastKey, outputs[layer.presentKey]);
      this.past.set(layer.pastValue, outputs[layer.presentValue]);
    }
    this.pastLength = total;
    return lastRow(outputs.logits);
  }
}

function lastRow(logits: ort.Tensor): Float32Array {
  const vocab = Number(logits.dims[logits.dims.length - 1]);
  const start = logits.data.length - vocab;
  if (logits.type === 'float16') return float16ToFloat32((logits.data as Uint16Array).subarray(start));
  return (logits.data as Float32Array).subarray(start);
}
