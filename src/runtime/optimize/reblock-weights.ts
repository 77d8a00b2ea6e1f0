import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { attribute } from './graph-writer.js';
import type { ReblockSize } from './optimizer-cache-entry.js';

const { onnx } = onnxProto;

/** The graph with its re-blocked projections, how many there were and how far their weights moved. */
export interface ReblockedGraph {
  model: Onnx.IModelProto;
  reblocked: number;
  /** The largest of the projections' `‖W' - W‖ / ‖W‖` (W the published 4-bit weights, W' the re-blocked ones). */
  maxRelativeChange: number;
}

// Data files start each tensor on a 64-byte boundary, as ONNX Runtime's own writer does.
const ALIGNMENT = 64;

/**
 * Re-quantizes the 4-bit weights of each `MatMulNBits` whose blocks along K are smaller than
 * `blockSize` (and divide it) into blocks of `blockSize`: each block's weights, as the original
 * scales and zero points give them, are quantized again symmetrically (the extreme maps to -8, as
 * onnxruntime's `MatMul4BitsQuantizer` does), with one float32 scale and no zero points. ONNX
 * Runtime's int8 kernels pay a fixed cost per block, so larger blocks decode faster on a CPU; the
 * weights become a coarser approximation of the published ones. The new weights go to `dataPath`
 * (tensors external, absolute location); the originals stay where they are, still used by any other
 * node that reads them (a tied embedding's lookup).
 */
export function reblockWeights(model: Onnx.IModelProto, dataPath: string, blockSize: ReblockSize): ReblockedGraph {
  const graph = model.graph ?? {};
  const initializers = new Map((graph.initializer ?? []).map((tensor) => [tensor.name ?? '', tensor]));
  const added: Onnx.ITensorProto[] = [];
  const out = openSync(dataPath, 'w');
  let offset = 0;
  const write = (name: string, dataType: number, dims: number[], data: ArrayBufferView): string => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(out, bytes, done, bytes.byteLength - done, offset + done);
    added.push({
      name,
      dataType,
      dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: dataPath },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    });
    offset += bytes.byteLength;
    return name;
  };
  let reblocked = 0;
  let maxRelativeChange = 0;
  let nodes: Onnx.INodeProto[];
  try {
    nodes = (graph.node ?? []).map((node) => {
      const source = reblockable(node, initializers, blockSize);
      if (!source) return node;
      const target = requantize(source, blockSize);
      const input = node.input ?? [];
      const weightName = write(`${input[1]}_b${blockSize}`, onnx.TensorProto.DataType.UINT8, [source.n, target.blocks, blockSize / 2], target.packed);
      const scalesName = write(`${input[2]}_b${blockSize}`, onnx.TensorProto.DataType.FLOAT, [source.n * target.blocks], target.scales);
      reblocked++;
      maxRelativeChange = Math.max(maxRelativeChange, target.relativeChange);
      // Zero points (input 3) are dropped: the new blocks are symmetric. A bias (input 5) is kept.
      const inputs = [input[0] ?? '', weightName, scalesName, '', '', input[5] ?? ''];
      while (inputs.length > 3 && inputs[inputs.length - 1] === '') inputs.pop();
      const attributes = [...(node.attribute ?? []).filter((a) => a.name !== 'block_size'), attribute('block_size', blockSize)];
      return { ...node, input: inputs, attribute: attributes };
    });
  } finally {
    closeSync(out);
  }
  const used = new Set(nodes.flatMap((node) => node.input ?? []));
  const kept = (graph.initializer ?? []).filter((tensor) => used.has(tensor.name ?? ''));
  return { model: { ...model, graph: { ...graph, node: nodes, initializer: [...kept, ...added] } }, reblocked, maxRelativeChange };
}

/** A `MatMulNBits` weight as stored: `[n, blocks, blockSize / 2]` nibbles, float32 scales, optional packed zero points. */
interface Q4Source {
  n: number;
  k: number;
  blockSize: number;
  packed: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array | null;
}

/** The node's 4-bit weight when it can be re-blocked into `blockSize`, else null. */
function reblockable(node: Onnx.INodeProto, initializers: Map<string, Onnx.ITensorProto>, blockSize: number): Q4Source | null {
  if (node.opType !== 'MatMulNBits' || node.domain !== 'com.microsoft') return null;
  const attr = (name: string, fallback = 0): number => Number(node.attribute?.find((a) => a.name === name)?.i ?? fallback);
  // `bits` is 4 when absent (com.microsoft's schema).
  const [n, k, bits, from] = [attr('N'), attr('K'), attr('bits', 4), attr('block_size')];
  if (bits !== 4 || from >= blockSize || blockSize % from !== 0 || !(n > 0 && k > 0)) return null;
  const input = node.input ?? [];
  // Input 4 (g_idx) reorders K: its blocks are not contiguous.
  if (input[4]) return null;
  const weight = initializers.get(input[1] ?? '');
  const scales = initializers.get(input[2] ?? '');
  const zeroPoints = input[3] ? initializers.get(input[3]) : undefined;
  if (!weight || !scales || scales.dataType !== onnx.TensorProto.DataType.FLOAT) return null;
  if (input[3] && (!zeroPoints || zeroPoints.dataType !== onnx.TensorProto.DataType.UINT8)) return null;
  const scaleBytes = tensorBytes(scales);
  return {
    n,
    k,
    blockSize: from,
    packed: tensorBytes(weight),
    // A copy (an inline tensor's bytes are a view into the graph file, at any alignment).
    scales: new Float32Array(new Uint8Array(scaleBytes).buffer),
    zeroPoints: zeroPoints ? tensorBytes(zeroPoints) : null,
  };
}

/** The source's weights in blocks of `blockSize`, one row at a time, and `‖W' - W‖ / ‖W‖`. */
function requantize(source: Q4Source, blockSize: number): { packed: Uint8Array; scales: Float32Array; blocks: number; relativeChange: number } {
  const { n, k } = source;
  const blocks = Math.ceil(k / blockSize);
  const packed = new Uint8Array(n * blocks * (blockSize / 2)).fill(0x88);
  const scales = new Float32Array(n * blocks);
  const row = new Float32Array(k);
  let squaredChange = 0;
  let squaredNorm = 0;
  for (let r = 0; r < n; r++) {
    dequantizeRow(source, r, row);
    for (let block = 0; block < blocks; block++) {
      const start = block * blockSize;
      const end = Math.min(k, start + blockSize);
      let extreme = 0;
      for (let i = start; i < end; i++) if (Math.abs(row[i] as number) > Math.abs(extreme)) extreme = row[i] as number;
      const scale = Math.fround(extreme / -8);
      const inverse = scale === 0 ? 0 : 1 / scale;
      const index = r * blocks + block;
      scales[index] = scale;
      for (let i = start; i < end; i++) {
        const w = row[i] as number;
        const level = Math.max(0, Math.min(15, Math.round(w * inverse) + 8));
        const change = scale * (level - 8) - w;
        squaredChange += change * change;
        squaredNorm += w * w;
        const at = index * (blockSize / 2) + ((i - start) >> 1);
        packed[at] = (i - start) & 1 ? ((packed[at] as number) & 0x0f) | (level << 4) : ((packed[at] as number) & 0xf0) | level;
      }
    }
  }
  return { packed, scales, blocks, relativeChange: squaredNorm === 0 ? 0 : Math.sqrt(squaredChange / squaredNorm) };
}

/** Row `r` of the `[n, k]` float32 weights a 4-bit source stands for, into `out`. */
function dequantizeRow(source: Q4Source, r: number, out: Float32Array): void {
  const { k, blockSize, packed, scales, zeroPoints } = source;
  const blocks = Math.ceil(k / blockSize);
  const zeroBytesPerRow = Math.ceil(blocks / 2);
  for (let block = 0; block < blocks; block++) {
    const index = r * blocks + block;
    const scale = scales[index] as number;
    let zero = 8;
    if (zeroPoints) {
      const byte = zeroPoints[r * zeroBytesPerRow + (block >> 1)] as number;
      zero = block & 1 ? byte >> 4 : byte & 15;
    }
    const start = block * blockSize;
    const end = Math.min(k, start + blockSize);
    for (let i = start, byteAt = index * (blockSize / 2); i < end; i++) {
      const byte = packed[byteAt + ((i - start) >> 1)] as number;
      out[i] = scale * (((i - start) & 1 ? byte >> 4 : byte & 15) - zero);
    }
  }
}

/** An initializer's bytes: inline, or read from its external data file (absolute location). */
function tensorBytes(tensor: Onnx.ITensorProto): Uint8Array {
  if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return tensor.rawData ?? new Uint8Array(0);
  const entry = (key: string): string => tensor.externalData?.find((e) => e.key === key)?.value ?? '';
  const length = Number(entry('length'));
  const bytes = new Uint8Array(length);
  const fd = openSync(entry('location'), 'r');
  try {
    for (let done = 0; done < length; ) {
      const read = readSync(fd, bytes, done, length - done, Number(entry('offset') || 0) + done);
      if (read === 0) throw new Error(`${tensor.name}: its external data ends early`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}
