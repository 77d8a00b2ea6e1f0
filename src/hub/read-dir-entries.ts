import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** A folder's entries, or none when the folder does not exist. */
export async function readDirEntries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
