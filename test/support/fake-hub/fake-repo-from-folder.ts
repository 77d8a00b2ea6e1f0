import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FakeRepoSpec } from './types.js';

/**
 * A repo spec serving every file under `dir` (streamed from disk, paths with forward slashes,
 * `.git` left out), e.g. a synthetic ONNX model folder; `extra` sets gating, license and so on.
 */
export async function fakeRepoFromFolder(
  id: string,
  dir: string,
  extra: Omit<FakeRepoSpec, 'id' | 'files'> = {},
): Promise<FakeRepoSpec> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: FakeRepoSpec['files'] = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(dir, absolute).split(path.sep).join('/');
    if (relative === '.git' || relative.startsWith('.git/')) continue;
    files[relative] = { fromFile: absolute };
  }
  return { ...extra, id, files };
}
