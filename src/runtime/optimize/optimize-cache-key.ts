import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isExternalDataOf } from '../../external-data-name.js';
import type { ReblockSize } from './optimizer-cache-entry.js';

const SAMPLE_BYTES = 1 << 20;

/** What decides whether a cached optimization still applies. */
export interface OptimizeCacheKeyParams {
  modelPath: string;
  configText: string;
  exact: boolean;
  reblock?: ReblockSize;
  tolerance: number;
  /** Bumped whenever the optimizer's output changes. */
  version: number;
}

/**
 * A sha256 naming a cached optimization: everything the rewritten graph reads. The graph and each
 * external data file beside it by identity (the file behind the link — in the Hugging Face cache
 * a blob named by its hash — its size and modification time), the graph's first and last
 * megabyte, `config.json`, the options and the optimizer version. A weights-only update (same
 * graph, new `_data` blob) therefore gets a new entry instead of the old weights' links.
 */
export function optimizeCacheKey(params: OptimizeCacheKeyParams): string {
  const stats = statSync(params.modelPath);
  const hash = createHash('sha256');
  // `reblock` joins the key only when set, so that entries written before it existed stay valid.
  const options = params.reblock === undefined ? {} : { reblock: params.reblock };
  hash.update(JSON.stringify({ version: params.version, exact: params.exact, tolerance: params.tolerance, ...options, files: readFiles(params.modelPath) }));
  hash.update(params.configText);
  const fd = openSync(params.modelPath, 'r');
  try {
    const head = Buffer.alloc(Math.min(SAMPLE_BYTES, stats.size));
    readSync(fd, head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(SAMPLE_BYTES, stats.size));
    readSync(fd, tail, 0, tail.length, stats.size - tail.length);
    hash.update(head).update(tail);
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The graph and its external data files: where each really is, its size and modification time. */
function readFiles(modelPath: string): Array<{ file: string; size: number; mtime: number }> {
  const folder = path.dirname(modelPath);
  const graph = path.basename(modelPath);
  const names = [graph, ...readdirSync(folder).filter((name) => isExternalDataOf(name, graph)).sort()];
  return names.map((name) => {
    const file = realpathSync(path.join(folder, name));
    const stats = statSync(file);
    return { file, size: stats.size, mtime: stats.mtimeMs };
  });
}
