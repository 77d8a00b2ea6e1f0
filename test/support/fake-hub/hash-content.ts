import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Git's blob id of some content: sha1 of `blob <size>\0<content>`, as the Hub's `oid` and small-file ETag. */
export function gitBlobSha1(content: Uint8Array | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Hex sha256 of some content, as the Hub's `lfs.oid` and LFS ETag. */
export function sha256Hex(content: Uint8Array | string): string {
  return createHash('sha256').update(content).digest('hex');
}

const sha256ByFile = new Map<string, string>();

/**
 * Size and sha256 of a file on disk, read by streaming; remembered per path, size and mtime
 * because tests serve the same big file from many fake repos.
 */
export async function hashFileOnDisk(filePath: string): Promise<{ size: number; sha256: string }> {
  const info = await stat(filePath);
  const key = `${filePath}\0${info.size}\0${info.mtimeMs}`;
  let sha256 = sha256ByFile.get(key);
  if (sha256 === undefined) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
    }
    sha256 = hash.digest('hex');
    sha256ByFile.set(key, sha256);
  }
  return { size: info.size, sha256 };
}
