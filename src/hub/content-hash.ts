import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { RepoFile } from './types.js';

/**
 * The hash the Hub publishes for a file: sha256 of the content for LFS files, and the git blob
 * sha1 (`blob <size>\0<content>`) for small files kept in git.
 */
export interface ContentHasher {
  update(chunk: Uint8Array): void;
  /** Hex digest, comparable with `expectedHash(file)`. */
  digest(): string;
}

/** The hex hash a file's content must have, as the tree listing states it. */
export function expectedHash(file: Pick<RepoFile, 'oid' | 'lfs'>): string {
  return file.lfs?.oid ?? file.oid;
}

/** A hasher for one file's content, of the kind the Hub publishes for it. */
export function createContentHasher(file: Pick<RepoFile, 'lfs' | 'size'>): ContentHasher {
  let hash: Hash;
  if (file.lfs) {
    hash = createHash('sha256');
  } else {
    hash = createHash('sha1');
    hash.update(`blob ${file.size}\0`);
  }
  return { update: (chunk) => hash.update(chunk), digest: () => hash.digest('hex') };
}

/** Feeds the first `bytes` bytes (all of them when omitted) of a file on disk into a hasher. */
export async function hashFileInto(
  hasher: ContentHasher,
  filePath: string,
  bytes?: number,
): Promise<void> {
  if (bytes === 0) return;
  const stream = createReadStream(filePath, {
    highWaterMark: 1 << 20,
    ...(bytes === undefined ? {} : { end: bytes - 1 }),
  });
  for await (const chunk of stream) hasher.update(chunk as Buffer);
}

/** Hashes a file on disk as the Hub would hash `file`. */
export async function hashFile(filePath: string, file: Pick<RepoFile, 'lfs' | 'size'>): Promise<string> {
  const hasher = createContentHasher(file);
  await hashFileInto(hasher, filePath);
  return hasher.digest();
}
