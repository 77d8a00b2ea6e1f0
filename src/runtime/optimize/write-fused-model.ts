import { createHash } from 'node:crypto';
import { constants, copyFileSync, existsSync, linkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;

/** What writing the fused model cost besides the small graph file. */
export interface WrittenModel {
  /** Absolute path of the written `.onnx`. */
  modelPath: string;
  /** Bytes of weight files copied because they could not be hard-linked (another file system). */
  copiedBytes: number;
}

/**
 * Writes `model` as `<folder>/<fileName>`. Its external tensors name absolute files (the original
 * `.onnx` or its data file); ONNX Runtime only reads external data inside the model's own folder,
 * symlinks resolved, so each such file is hard-linked into `folder` (copied where linking fails)
 * and the tensors are pointed at the link with their original offsets: no weight is rewritten.
 */
export function writeFusedModel(model: Onnx.IModelProto, folder: string, fileName: string): WrittenModel {
  const links = new Map<string, string>();
  let copiedBytes = 0;
  const linkFor = (location: string): string => {
    // Weights written into the folder itself (re-blocked ones) need no link.
    if (path.dirname(location) === folder) return path.basename(location);
    let link = links.get(location);
    if (link === undefined) {
      // Named after the source path, so that graphs written into one folder agree on their links.
      link = `weights-${createHash('sha256').update(location).digest('hex').slice(0, 12)}-${path.basename(location)}`;
      const source = realpathSync(location);
      const target = path.join(folder, link);
      try {
        // A second graph written into the same folder shares the first one's links.
        if (!existsSync(target)) linkSync(source, target);
      } catch {
        // A copy-on-write clone where the file system offers one, else a full copy.
        copyFileSync(source, target, constants.COPYFILE_FICLONE);
        copiedBytes += statSync(source).size;
      }
      links.set(location, link);
    }
    return link;
  };
  const initializer = (model.graph?.initializer ?? []).map((tensor) => {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) return tensor;
    const externalData = (tensor.externalData ?? []).map((entry) =>
      entry.key === 'location' ? { key: 'location', value: linkFor(entry.value ?? '') } : entry,
    );
    return { ...tensor, externalData };
  });
  const modelPath = path.join(folder, fileName);
  writeFileSync(modelPath, onnx.ModelProto.encode({ ...model, graph: { ...model.graph, initializer } }).finish());
  return { modelPath, copiedBytes };
}
