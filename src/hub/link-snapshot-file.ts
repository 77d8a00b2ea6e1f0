import { mkdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { blobLinkTarget } from './cache-layout.js';

/**
 * Points `snapshots/<commit>/<filePath>` at its blob with a relative symlink, as huggingface_hub
 * does; the link is made under a temporary name and renamed so readers never see a missing file.
 */
export async function linkSnapshotFile(snapshotDir: string, filePath: string, etag: string): Promise<void> {
  const linkPath = path.join(snapshotDir, ...filePath.split('/'));
  const target = blobLinkTarget(filePath, etag);
  // Already right: nothing to write (a pull of a complete model works on a read-only cache).
  if ((await readlink(linkPath).catch(() => undefined)) === target) return;
  await mkdir(path.dirname(linkPath), { recursive: true });
  const temporary = `${linkPath}.${process.pid}.${Date.now()}.tmp`;
  try {
    await symlink(target, temporary);
    await rename(temporary, linkPath);
  } finally {
    await rm(temporary, { force: true });
  }
}
