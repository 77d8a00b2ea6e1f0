import { closeSync, openSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { attribute, type AttributeValue } from '../../../src/runtime/optimize/graph-writer.js';

const { onnx } = onnxProto;

/** ONNX element types the generator uses. */
export const DataType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  UINT8: onnx.TensorProto.DataType.UINT8,
  INT32: onnx.TensorProto.DataType.INT32,
  INT64: onnx.TensorProto.DataType.INT64,
  BOOL: onnx.TensorProto.DataType.BOOL,
  FLOAT16: onnx.TensorProto.DataType.FLOAT16,
} as const;

/** Adds a one-output node named `<scope>/<opType>` (numbered when repeated); returns its output. */
export type ScopedOp = (opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, output?: string) => string;

/** One dimension of a graph input or output: fixed, or named and dynamic. */
export type Dim = number | string;

/** Where initializers at least `EXTERNAL_MIN_BYTES` large go instead of the protobuf. */
export interface ExternalDataSink {
  /** Absolute path of the data file to create. */
  path: string;
  /** The name the model refers to it by, relative to the model file. */
  location: string;
}

const EXTERNAL_MIN_BYTES = 1024;
// Large tensors start on an allocation-granularity boundary so ONNX Runtime can map them.
const ALIGN_LARGE_BYTES = 1 << 20;
const LARGE_ALIGNMENT = 65536;
// protobuf's hard limit on one message.
const PROTOBUF_LIMIT = 2 ** 31 - 1;
// Length-delimited field keys: ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.raw_data = 9.
const MODEL_GRAPH = (7 << 3) | 2;
const GRAPH_INITIALIZER = (5 << 3) | 2;
const TENSOR_RAW_DATA = (9 << 3) | 2;

/**
 * Accumulates an ONNX graph (opset 17 plus com.microsoft 1) and writes it as a `ModelProto` file,
 * streaming large initializers into an external data file when given one.
 */
export class GraphBuilder {
  private readonly nodes: Onnx.INodeProto[] = [];
  private readonly initializers: Onnx.ITensorProto[] = [];
  private readonly inline: { tensor: Onnx.ITensorProto; bytes: Uint8Array }[] = [];
  private readonly inputs: Onnx.IValueInfoProto[] = [];
  private readonly outputs: Onnx.IValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private readonly names = new Map<string, number>();
  private readonly fd: number | null;
  private dataOffset = 0;
  private inlineBytes = 0;

  constructor(private readonly external: ExternalDataSink | null) {
    this.fd = external ? openSync(external.path, 'w') : null;
  }

  /** Declares a graph input. */
  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a graph output produced by some node. */
  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /**
   * Adds a node and returns its output names (by default one, `<name>/output_0`); an empty
   * string in `outputs` leaves an optional output unused.
   */
  node(
    opType: string,
    inputs: string[],
    options: { name?: string; outputs?: string[]; domain?: string; attributes?: Record<string, AttributeValue> } = {},
  ): string[] {
    const name = this.uniqueName(options.name ?? `/${opType}`);
    const outputs = options.outputs ?? [`${name}/output_0`];
    this.nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      input: inputs,
      output: outputs,
      attribute: Object.entries(options.attributes ?? {}).map(([key, value]) => attribute(key, value)),
    });
    return outputs;
  }

  /** Adds a node with one output and returns that output's name. */
  op(
    opType: string,
    inputs: string[],
    options: { name?: string; output?: string; domain?: string; attributes?: Record<string, AttributeValue> } = {},
  ): string {
    const { output, ...rest } = options;
    return this.node(opType, inputs, { ...rest, outputs: output === undefined ? undefined : [output] })[0];
  }

  /** Returns an `op` that names its nodes under `scope`, as torch exports do (`/model/layers.0/mlp/Mul_1`). */
  at(scope: string): ScopedOp {
    return (opType, inputs, attributes, output) => this.op(opType, inputs, { name: `${scope}/${opType}`, attributes, output });
  }

  /** Adds an initializer from the bytes of a typed array and returns its name. */
  initializer(name: string, elemType: number, dims: number[], data: ArrayBufferView): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const tensor: Onnx.ITensorProto = { name, dataType: elemType, dims };
    if (this.fd !== null && this.external && bytes.byteLength >= EXTERNAL_MIN_BYTES) {
      const alignment = bytes.byteLength >= ALIGN_LARGE_BYTES ? LARGE_ALIGNMENT : 64;
      const offset = Math.ceil(this.dataOffset / alignment) * alignment;
      writeAll(this.fd, bytes, offset);
      this.dataOffset = offset + bytes.byteLength;
      tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      tensor.externalData = [
        { key: 'location', value: this.external.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ];
      this.initializers.push(tensor);
    } else {
      this.inlineBytes += bytes.byteLength;
      if (this.inlineBytes > PROTOBUF_LIMIT) {
        throw new Error('Synthetic model weights exceed 2 GB: pass externalData: true.');
      }
      this.inline.push({ tensor, bytes });
    }
    return name;
  }

  /** A shared int64 constant (scalar when `dims` is `[]`). */
  int64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(DataType.INT64, BigInt64Array.from(values, BigInt), dims, values);
  }

  /** A shared float32 constant (scalar when `dims` is `[]`). */
  float(values: number[], dims: number[] = [values.length]): string {
    return this.constant(DataType.FLOAT, Float32Array.from(values), dims, values);
  }

  /** Finishes the data file and writes the model to `path`. */
  finish(path: string): void {
    if (this.fd !== null) closeSync(this.fd);
    const head = onnx.ModelProto.encode({
      irVersion: 8,
      producerName: 'owm-synthetic-model',
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: 'main_graph',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    }).finish();
    // Inline weights follow as a second `graph` field, which protobuf parsers merge into the
    // first: the bytes go from the typed arrays to the file without a copy into one buffer.
    const tensors = this.inline.map(({ tensor, bytes }) => {
      const fields = concat(onnx.TensorProto.encode(tensor).finish(), fieldHeader(TENSOR_RAW_DATA, bytes.byteLength));
      return { head: concat(fieldHeader(GRAPH_INITIALIZER, fields.byteLength + bytes.byteLength), fields), bytes };
    });
    const graphLength = tensors.reduce((sum, t) => sum + t.head.byteLength + t.bytes.byteLength, 0);
    const fd = openSync(path, 'w');
    try {
      let position = 0;
      for (const part of [head, fieldHeader(MODEL_GRAPH, graphLength), ...tensors.flatMap((t) => [t.head, t.bytes])]) {
        writeAll(fd, part, position);
        position += part.byteLength;
      }
    } finally {
      closeSync(fd);
    }
  }

  private constant(elemType: number, data: ArrayBufferView, dims: number[], values: number[]): string {
    const key = `${elemType}:${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.initializer(`/model/constants/${elemType}/${this.constants.size}`, elemType, dims, data);
      this.constants.set(key, name);
    }
    return name;
  }

  private uniqueName(base: string): string {
    const seen = this.names.get(base) ?? 0;
    this.names.set(base, seen + 1);
    return seen === 0 ? base : `${base}_${seen}`;
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function fieldHeader(key: number, length: number): Uint8Array {
  const bytes = [key];
  for (let rest = length; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      bytes.push(rest);
      break;
    }
    bytes.push((rest % 128) | 128);
  }
  return Uint8Array.from(bytes);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  // One write call moves at most about 2 GB.
  for (let done = 0; done < bytes.byteLength; ) {
    done += writeSync(fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), position + done);
  }
}
