import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;

/** An attribute value: an integer, a float (`{ float }`) or a list of integers. */
export type AttributeValue = number | { float: number } | number[];

/** Collects the nodes and initializers of a graph being built, naming new tensors under one prefix. */
export class GraphWriter {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers = new Map<string, Onnx.ITensorProto>();
  private count = 0;

  constructor(private readonly prefix: string) {}

  /** Adds a node; `outputs` given as a number names that many fresh tensors. Returns the output names. */
  node(
    opType: string,
    inputs: string[],
    options: { outputs?: number | string[]; domain?: string; attributes?: Record<string, AttributeValue>; scope?: string } = {},
  ): string[] {
    const name = `${this.prefix}${options.scope ?? ''}/${opType}_${this.count++}`;
    const outputs = Array.isArray(options.outputs)
      ? options.outputs
      : Array.from({ length: options.outputs ?? 1 }, (_, i) => `${name}/output_${i}`);
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

  /** Adds a one-output node and returns its output. */
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, scope?: string): string {
    return this.node(opType, inputs, { attributes, scope })[0];
  }

  /** Adds (or keeps) an initializer under its own name. */
  initializer(tensor: Onnx.ITensorProto): string {
    this.initializers.set(tensor.name ?? '', tensor);
    return tensor.name ?? '';
  }

  /** A new float32 initializer holding `data`. */
  float(name: string, dims: number[], data: Float32Array): string {
    return this.initializer({ name: `${this.prefix}/${name}`, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: bytes(data) });
  }

  /** A new int64 initializer (a scalar when `dims` is `[]`). */
  int64(name: string, values: bigint[], dims: number[] = [values.length]): string {
    return this.initializer({ name: `${this.prefix}/${name}`, dataType: onnx.TensorProto.DataType.INT64, dims, rawData: bytes(BigInt64Array.from(values)) });
  }
}

/** An `AttributeProto` for a value. */
export function attribute(name: string, value: AttributeValue): Onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

function bytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
