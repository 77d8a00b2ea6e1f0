import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { CacheError } from '../errors.js';
import { formatBytes } from '../format-bytes.js';

/** Bytes kept free beyond what a download needs, so the disk is not filled to the last block. */
const SAFETY_MARGIN_BYTES = 1 << 20;

/** Free bytes (for an unprivileged user) on the filesystem holding `target` or its nearest existing parent. */
export async function freeBytes(target: string): Promise<number> {
  let current = path.resolve(target);
  for (;;) {
    try {
      const stats = await statfs(current);
      return stats.bavail * stats.bsize;
    } catch (error) {
      const parent = path.dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** Fails before any byte is written when `folder`'s disk cannot hold `bytesNeeded` more bytes. */
export async function ensureFreeSpace(folder: string, bytesNeeded: number): Promise<void> {
  if (bytesNeeded <= 0) return;
  const available = await freeBytes(folder);
  if (available < bytesNeeded + SAFETY_MARGIN_BYTES) {
    throw new CacheError(
      `Not enough disk space in ${folder}: the download needs ${formatBytes(bytesNeeded)} but only ${formatBytes(available)} is free. Free some space, or set HF_HUB_CACHE to a bigger disk.`,
      { code: 'disk-full' },
    );
  }
}
