import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const SAMPLE_BYTES = 1 << 20;

/** What decides whether a cached optimization still applies. */
export interface OptimizeCacheKeyParams {
  modelPath: string;
  configText: string;
  exact: boolean;
  tolerance: number;
  /** Bumped whenever the optimizer's output changes. */
  version: number;
}

/**
 * A sha256 naming a cached optimization: the graph file's size, modification time and first and
 * last megabyte (cheap, yet changes whenever the file is replaced), `config.json`, the options and
 * the optimizer version.
 */
export function optimizeCacheKey(params: OptimizeCacheKeyParams): string {
  const stats = statSync(params.modelPath);
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version: params.version, exact: params.exact, tolerance: params.tolerance, size: stats.size, mtime: stats.mtimeMs }));
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
