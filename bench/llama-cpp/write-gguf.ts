import { closeSync, openSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import type { SyntheticModelConfig, WeightLookup } from '../../test/support/synthetic-model/index.js';
import { float32ToFloat16 } from './float32-to-float16.js';
import { ggufTokenizerMetadata } from './gguf-tokenizer-metadata.js';
import { llamaCppTensors } from './llama-cpp-tensors.js';
import { Q4_0_BLOCK, Q4_0_BLOCK_BYTES, quantizeQ4_0 } from './quantize-q4-0.js';
import type { GgufSourceTensor, GgufValue, GgufWeightType, HfTokenizerJson } from './types.js';

/** What to write: a synthetic model's sizes and weights, its tokenizer, and how to store the matrices. */
export interface WriteGgufOptions {
  config: SyntheticModelConfig;
  /**
   * Hugging Face names and layout, as `writeSyntheticModel` returns them; each is taken once, when
   * its tensor is written, so `ModelWeights` draws them one at a time.
   */
  weights: WeightLookup;
  /** The model folder's parsed `tokenizer.json`. */
  tokenizerJson: HfTokenizerJson;
  /**
   * Storage of every 2-D weight, `token_embd` and `output` included (Q4_0 then matches
   * `llama-quantize --pure`: plain llama-quantize would keep `output` in Q6_K). @default 'F32'
   */
  type?: GgufWeightType;
  /**
   * Storage of `token_embd.weight`, which is also the output matrix when the embeddings are tied.
   * F32 with an untied Q4_0 model mirrors the q4 ONNX graphs, which gather from a float32
   * embedding. @default type
   */
  embeddingType?: GgufWeightType;
  /** `general.name`. @default `synthetic-<arch>` */
  name?: string;
  /** llama.cpp's pre-tokenizer name. @default guessed from the tokenizer's special tokens */
  tokenizerPre?: string;
}

/** A written GGUF file. */
export interface WrittenGguf {
  path: string;
  bytes: number;
  tensors: number;
}

const GGUF_MAGIC = 0x46554747;
const GGUF_VERSION = 3;
const ALIGNMENT = 32;
// gguf_type
const UINT32 = 4;
const INT32 = 5;
const FLOAT32 = 6;
const BOOL = 7;
const STRING = 8;
const ARRAY = 9;
const GGML_TYPES: Record<GgufWeightType, number> = { F32: 0, F16: 1, Q4_0: 2 };
// llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_Q4_0.
const FILE_TYPES: Record<GgufWeightType, number> = { F32: 0, F16: 1, Q4_0: 2 };
/** Values converted per write, a whole number of Q4_0 blocks. */
const CHUNK = 1 << 20;

/**
 * Writes a GGUF v3 file that llama.cpp loads as architecture `llama` or `qwen2` and that computes
 * what the synthetic ONNX model computes with the same weights (Q4_0 and F16 up to their rounding).
 * The header needs only the tensors' shapes; then each tensor's values are taken, converted and
 * written a chunk at a time, and dropped before the next: memory holds one tensor, not the model.
 */
export function writeGguf(path: string, options: WriteGgufOptions): WrittenGguf {
  if (endianness() !== 'LE') throw new Error('GGUF: writing needs a little-endian machine.');
  const { config } = options;
  const type = options.type ?? 'F32';
  const arch = config.arch;
  const metadata: Record<string, GgufValue> = {
    'general.architecture': { type: 'string', value: arch },
    'general.name': { type: 'string', value: options.name ?? `synthetic-${arch}` },
    'general.file_type': { type: 'uint32', value: FILE_TYPES[type] },
    'general.alignment': { type: 'uint32', value: ALIGNMENT },
    [`${arch}.context_length`]: { type: 'uint32', value: config.maxPositions },
    [`${arch}.embedding_length`]: { type: 'uint32', value: config.hidden },
    [`${arch}.block_count`]: { type: 'uint32', value: config.layers },
    [`${arch}.feed_forward_length`]: { type: 'uint32', value: config.intermediate },
    [`${arch}.attention.head_count`]: { type: 'uint32', value: config.heads },
    [`${arch}.attention.head_count_kv`]: { type: 'uint32', value: config.kvHeads },
    [`${arch}.rope.freq_base`]: { type: 'float32', value: config.ropeTheta },
    [`${arch}.rope.dimension_count`]: { type: 'uint32', value: config.headDim },
    [`${arch}.attention.layer_norm_rms_epsilon`]: { type: 'float32', value: config.rmsNormEps },
    [`${arch}.vocab_size`]: { type: 'uint32', value: config.vocab },
    ...ggufTokenizerMetadata(options.tokenizerJson, {
      vocab: config.vocab,
      bosTokenId: config.bosTokenId,
      eosTokenId: config.eosTokenIds[0],
      padTokenId: config.padTokenId,
      pre: options.tokenizerPre,
    }),
  };
  if (type !== 'F32') metadata['general.quantization_version'] = { type: 'uint32', value: 2 };

  const tensors = llamaCppTensors(config, options.weights);
  const embeddingType = options.embeddingType ?? type;
  const stored = tensors.map((tensor): GgufWeightType => {
    if (tensor.dims.length === 1) return 'F32';
    return tensor.name === 'token_embd.weight' ? embeddingType : type;
  });
  const header = new HeaderWriter();
  header.u32(GGUF_MAGIC);
  header.u32(GGUF_VERSION);
  header.u64(tensors.length);
  header.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    header.string(key);
    header.value(value);
  }
  const offsets: number[] = [];
  let offset = 0;
  tensors.forEach((tensor, i) => {
    if (stored[i] === 'Q4_0' && tensor.dims[0] % Q4_0_BLOCK !== 0) {
      throw new Error(`GGUF: ${tensor.name} rows of ${tensor.dims[0]} do not split into Q4_0 blocks of ${Q4_0_BLOCK}.`);
    }
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(GGML_TYPES[stored[i]]);
    header.u64(offset);
    offsets.push(offset);
    offset = align(offset + storedBytes(valueCount(tensor), stored[i]));
  });

  const fd = openSync(path, 'w');
  try {
    const head = header.finish();
    const dataStart = align(head.length);
    writeAll(fd, head);
    writeAll(fd, new Uint8Array(dataStart - head.length));
    let written = 0;
    const scratch = new ArrayBuffer(CHUNK * 4);
    tensors.forEach((tensor, i) => {
      writeAll(fd, new Uint8Array(offsets[i] - written));
      written = offsets[i] + writeTensor(fd, tensor, stored[i], scratch);
    });
    return { path, bytes: dataStart + written, tensors: tensors.length };
  } finally {
    closeSync(fd);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

function valueCount(tensor: GgufSourceTensor): number {
  return tensor.dims.reduce((count, dim) => count * dim, 1);
}

function storedBytes(count: number, type: GgufWeightType): number {
  if (type === 'Q4_0') return (count / Q4_0_BLOCK) * Q4_0_BLOCK_BYTES;
  return count * (type === 'F16' ? 2 : 4);
}

/** Writes one tensor's data in its stored type; returns the bytes written. */
function writeTensor(fd: number, tensor: GgufSourceTensor, type: GgufWeightType, scratch: ArrayBuffer): number {
  const values = tensor.values();
  if (type === 'F32') return writeAll(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  let bytes = 0;
  for (let start = 0; start < values.length; start += CHUNK) {
    const chunk = values.subarray(start, Math.min(start + CHUNK, values.length));
    if (type === 'F16') {
      const halves = new Uint16Array(scratch, 0, chunk.length);
      for (let i = 0; i < chunk.length; i++) halves[i] = float32ToFloat16(chunk[i]);
      bytes += writeAll(fd, new Uint8Array(scratch, 0, halves.byteLength));
    } else {
      const out = new Uint8Array(scratch, 0, storedBytes(chunk.length, 'Q4_0'));
      quantizeQ4_0(chunk, out);
      bytes += writeAll(fd, out);
    }
  }
  return bytes;
}

function writeAll(fd: number, bytes: Uint8Array): number {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  return bytes.length;
}

/** Little-endian GGUF header fields, gathered in one growing buffer (the token list is a few MB at most). */
class HeaderWriter {
  private buffer = Buffer.alloc(1 << 20);
  private length = 0;

  /** Makes room for `size` bytes and returns the buffer (possibly a new one) and where they go. */
  private reserve(size: number): [Buffer, number] {
    if (this.length + size > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + size));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const at = this.length;
    this.length += size;
    return [this.buffer, at];
  }

  u32(value: number): void {
    const [buffer, at] = this.reserve(4);
    buffer.writeUInt32LE(value, at);
  }

  u64(value: number): void {
    const [buffer, at] = this.reserve(8);
    buffer.writeBigUInt64LE(BigInt(value), at);
  }

  string(value: string): void {
    const size = Buffer.byteLength(value, 'utf8');
    this.u64(size);
    const [buffer, at] = this.reserve(size);
    buffer.write(value, at, 'utf8');
  }

  value(entry: GgufValue): void {
    switch (entry.type) {
      case 'uint32':
        this.u32(UINT32);
        this.u32(entry.value);
        break;
      case 'float32': {
        this.u32(FLOAT32);
        const [buffer, at] = this.reserve(4);
        buffer.writeFloatLE(entry.value, at);
        break;
      }
      case 'bool': {
        this.u32(BOOL);
        const [buffer, at] = this.reserve(1);
        buffer.writeUInt8(entry.value ? 1 : 0, at);
        break;
      }
      case 'string':
        this.u32(STRING);
        this.string(entry.value);
        break;
      case 'string[]':
        this.u32(ARRAY);
        this.u32(STRING);
        this.u64(entry.value.length);
        for (const item of entry.value) this.string(item);
        break;
      case 'int32[]': {
        this.u32(ARRAY);
        this.u32(INT32);
        this.u64(entry.value.length);
        const [buffer, at] = this.reserve(entry.value.length * 4);
        for (let i = 0; i < entry.value.length; i++) buffer.writeInt32LE(entry.value[i], at + i * 4);
        break;
      }
    }
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
