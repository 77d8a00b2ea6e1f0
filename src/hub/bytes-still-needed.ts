import { stat } from 'node:fs/promises';
import { blobPath, etagOf, incompleteBlobPath } from './cache-layout.js';
import type { RepoFile } from './types.js';

async function sizeOrZero(filePath: string): Promise<number> {
  try {
    return (await stat(filePath)).size;
  } catch {
    return 0;
  }
}

/** Bytes of `files` not yet in the cache: complete blobs count fully, partial downloads for what they hold. */
export async function bytesStillNeeded(hubCache: string, repo: string, files: RepoFile[]): Promise<number> {
  const seen = new Set<string>();
  let needed = 0;
  for (const file of files) {
    const etag = etagOf(file);
    if (seen.has(etag)) continue;
    seen.add(etag);
    if ((await sizeOrZero(blobPath(hubCache, repo, etag))) === file.size) continue;
    needed += file.size - Math.min(file.size, await sizeOrZero(incompleteBlobPath(hubCache, repo, etag)));
  }
  return needed;
}
