import path from 'node:path';

/**
 * Paths of the Hugging Face cache layout, shared with Python's huggingface_hub and
 * transformers.js:
 *   models--{org}--{name}/blobs/<etag>, snapshots/<commit>/<path>, refs/<revision>
 *   .locks/models--{org}--{name}/<etag>.lock
 */

/** `org/name` → `models--org--name`. */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

/** `models--org--name` → `org/name`, or undefined for folders that are not model repos. */
export function repoFromFolderName(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  const parts = folder.slice('models--'.length).split('--');
  return parts.length >= 2 ? parts.join('/') : undefined;
}

/** The cache folder of one repo. */
export function repoDir(hubCache: string, repo: string): string {
  return path.join(hubCache, repoFolderName(repo));
}

/** Where a blob lives; `etag` is the sha256 for LFS files and the git sha1 otherwise. */
export function blobPath(hubCache: string, repo: string, etag: string): string {
  return path.join(repoDir(hubCache, repo), 'blobs', etag);
}

/** The partial download of a blob, named as huggingface_hub names it so either tool resumes it. */
export function incompleteBlobPath(hubCache: string, repo: string, etag: string): string {
  return `${blobPath(hubCache, repo, etag)}.incomplete`;
}

/** The lock file huggingface_hub holds (flock) while writing a blob. */
export function blobLockPath(hubCache: string, repo: string, etag: string): string {
  return path.join(hubCache, '.locks', repoFolderName(repo), `${etag}.lock`);
}

/** The folder of one snapshot. */
export function snapshotDir(hubCache: string, repo: string, commit: string): string {
  return path.join(repoDir(hubCache, repo), 'snapshots', commit);
}

/** The file that maps a revision (branch, tag, `refs/pr/1`) to a commit. */
export function refPath(hubCache: string, repo: string, revision: string): string {
  return path.join(repoDir(hubCache, repo), 'refs', ...revision.split('/'));
}

/** The relative symlink target from a snapshot file to its blob (nested paths climb further). */
export function blobLinkTarget(filePath: string, etag: string): string {
  const depth = filePath.split('/').length - 1;
  return path.posix.join('..', '..', ...Array<string>(depth).fill('..'), 'blobs', etag);
}

/** The cache's blob name for a file: sha256 for LFS files, git sha1 otherwise. */
export function etagOf(file: { oid: string; lfs?: { oid: string } }): string {
  return file.lfs?.oid ?? file.oid;
}

/** True for a 40-hex commit id. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
