import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { notOptimizable } from './not-optimizable.js';

const { onnx } = onnxProto;

// Tensors at least this large are left in their file and referenced by offset.
const REFERENCE_MIN_BYTES = 1024;
// Field numbers: ModelProto.graph, GraphProto.initializer, TensorProto.raw_data.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;
const WINDOW_BYTES = 1 << 16;

/**
 * Reads an ONNX model without loading its weights: every initializer of at least 1 KiB becomes an
 * external-data reference with an absolute `location`, pointing either into the `.onnx` file
 * itself (inline `raw_data`) or into the external data file it already named. A multi-gigabyte
 * graph is thus read as a few megabytes of structure.
 */
export function readOnnxModel(modelPath: string): Onnx.ModelProto {
  const file = new FileWindow(modelPath);
  try {
    const modelFields: Uint8Array[] = [];
    const graphFields: Uint8Array[] = [];
    const initializers: Onnx.ITensorProto[] = [];
    forEachField(file, 0, file.size, (field, wire, start, payload, end) => {
      if (field !== MODEL_GRAPH || wire !== WIRE_BYTES) {
        modelFields.push(file.read(start, end - start));
        return;
      }
      // protobuf merges repeated occurrences of a message field, so several graph fields form one graph.
      forEachField(file, payload, end, (graphField, graphWire, graphStart, graphPayload, graphEnd) => {
        if (graphField === GRAPH_INITIALIZER && graphWire === WIRE_BYTES) {
          initializers.push(readTensor(file, graphPayload, graphEnd));
        } else {
          graphFields.push(file.read(graphStart, graphEnd - graphStart));
        }
      });
    });
    const model = onnx.ModelProto.decode(Buffer.concat(modelFields));
    const graph = onnx.GraphProto.decode(Buffer.concat(graphFields));
    const directory = path.dirname(modelPath);
    graph.initializer = initializers.map((tensor) => withAbsoluteLocation(tensor, directory));
    model.graph = graph;
    return model;
  } finally {
    file.close();
  }
}

/** Decodes one TensorProto, leaving a large `raw_data` in the file as an external reference. */
function readTensor(file: FileWindow, start: number, end: number): Onnx.ITensorProto {
  const fields: Uint8Array[] = [];
  const references: { offset: number; length: number }[] = [];
  forEachField(file, start, end, (field, wire, fieldStart, payload, fieldEnd) => {
    if (field === TENSOR_RAW_DATA && wire === WIRE_BYTES && fieldEnd - payload >= REFERENCE_MIN_BYTES) {
      references.push({ offset: payload, length: fieldEnd - payload });
    } else {
      fields.push(file.read(fieldStart, fieldEnd - fieldStart));
    }
  });
  const tensor = onnx.TensorProto.decode(Buffer.concat(fields));
  // A repeated raw_data field would mean its last occurrence wins; exporters write one.
  const reference = references.at(-1);
  if (reference === undefined) return tensor;
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.externalData = [
    { key: 'location', value: file.path },
    { key: 'offset', value: String(reference.offset) },
    { key: 'length', value: String(reference.length) },
  ];
  return tensor;
}

/** Makes an external tensor's `location` absolute, so that the graph can move to another folder. */
function withAbsoluteLocation(tensor: Onnx.ITensorProto, directory: string): Onnx.ITensorProto {
  if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return tensor;
  const entries = tensor.externalData ?? [];
  const location = entries.find((entry) => entry.key === 'location')?.value;
  if (!location) throw notOptimizable(`initializer ${tensor.name} has external data without a location`);
  tensor.externalData = entries.map((entry) =>
    entry.key === 'location' ? { key: 'location', value: path.resolve(directory, location) } : entry,
  );
  return tensor;
}

type FieldVisitor = (field: number, wire: number, fieldStart: number, payloadStart: number, fieldEnd: number) => void;

/** Walks the fields of the message stored in `[start, end)` of the file. */
function forEachField(file: FileWindow, start: number, end: number, visit: FieldVisitor): void {
  let position = start;
  while (position < end) {
    const fieldStart = position;
    const key = file.varint(position);
    position = key.next;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    let payload = position;
    if (wire === WIRE_VARINT) {
      position = file.varint(position).next;
    } else if (wire === WIRE_FIXED64) {
      position += 8;
    } else if (wire === WIRE_FIXED32) {
      position += 4;
    } else if (wire === WIRE_BYTES) {
      const length = file.varint(position);
      payload = length.next;
      position = length.next + length.value;
    } else {
      throw notOptimizable(`${path.basename(file.path)} is not a valid ONNX file (protobuf wire type ${wire} at byte ${fieldStart})`);
    }
    if (position > end) throw notOptimizable(`${path.basename(file.path)} is truncated or not an ONNX file`);
    visit(field, wire, fieldStart, payload, position);
  }
}

/** Positional reads through a 64 KiB window: walking field headers costs few system calls, skipping weights none. */
class FileWindow {
  readonly size: number;
  private readonly fd: number;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** A copy of `length` bytes at `position`. */
  read(position: number, length: number): Buffer {
    if (position >= this.windowStart && position + length <= this.windowStart + this.window.length) {
      return Buffer.from(this.window.subarray(position - this.windowStart, position - this.windowStart + length));
    }
    return this.fill(Buffer.alloc(length), position);
  }

  /** The base-128 varint at `position` (below 2^53) and the position after it. */
  varint(position: number): { value: number; next: number } {
    let value = 0;
    let scale = 1;
    for (let at = position; at < position + 10; at++) {
      const byte = this.byte(at);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return { value, next: at + 1 };
      scale *= 128;
    }
    throw notOptimizable(`${path.basename(this.path)} is not a valid ONNX file (bad varint at byte ${position})`);
  }

  close(): void {
    closeSync(this.fd);
  }

  private byte(position: number): number {
    if (position < this.windowStart || position >= this.windowStart + this.window.length) {
      if (position >= this.size) throw notOptimizable(`${path.basename(this.path)} ends early`);
      this.window = this.fill(Buffer.alloc(Math.min(WINDOW_BYTES, this.size - position)), position);
      this.windowStart = position;
    }
    return this.window[position - this.windowStart];
  }

  private fill(buffer: Buffer, position: number): Buffer {
    for (let done = 0; done < buffer.length; ) {
      const read = readSync(this.fd, buffer, done, buffer.length - done, position + done);
      if (read === 0) throw notOptimizable(`${path.basename(this.path)} ends early`);
      done += read;
    }
    return buffer;
  }
}
