import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Deletes the cached fused graphs made from models under `sourceDir`. Their weights are hard links
 * to the originals', so without this a removed model would keep occupying the disk.
 * Returns how many entries went.
 */
export async function removeOptimizedFor(cacheDir: string, sourceDir: string): Promise<number> {
  const prefix = `${path.resolve(sourceDir)}${path.sep}`;
  return removeEntriesWhere(cacheDir, (source) => path.resolve(source).startsWith(prefix));
}

/** Deletes the cached fused graphs whose original graph is gone (an updated model's old snapshot). */
export async function removeStaleOptimized(cacheDir: string): Promise<number> {
  return removeEntriesWhere(cacheDir, (source) => !existsSync(source));
}

async function removeEntriesWhere(cacheDir: string, matches: (source: string) => boolean): Promise<number> {
  let removed = 0;
  const entries = await readdir(cacheDir).catch(() => [] as string[]);
  for (const entry of entries) {
    const folder = path.join(cacheDir, entry);
    const source = await readFile(path.join(folder, 'result.json'), 'utf8')
      .then((text) => (JSON.parse(text) as { source?: unknown }).source)
      .catch(() => undefined);
    if (typeof source === 'string' && matches(source)) {
      await rm(folder, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
