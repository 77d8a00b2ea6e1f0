import { createHash } from 'node:crypto';
import type { RepoStore, StoredCommit, StoredRepo } from './repo-store.js';

/** A tree or paths-info entry, as the Hub's API writes it. */
export interface TreeEntryJson {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
}

/**
 * The body of `GET /api/models/{id}/revision/{rev}`. With `expand` given, only those keys (plus
 * `_id` and `id`) are returned, as the Hub does; `blobs` adds sizes and hashes to `siblings`.
 */
export function modelInfoJson(
  repo: StoredRepo,
  commit: StoredCommit,
  query: { expand: string[]; blobs: boolean },
): Record<string, unknown> {
  const files = [...commit.files.values()].map((file) => file.info).sort((a, b) => (a.path < b.path ? -1 : 1));
  const config = configSummary(commit);
  const full: Record<string, unknown> = {
    _id: createHash('sha1').update(repo.id).digest('hex').slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    author: repo.id.split('/')[0],
    sha: commit.id,
    lastModified: commit.date,
    createdAt: repo.createdAt,
    private: repo.private,
    gated: repo.gated,
    disabled: false,
    downloads: 0,
    downloadsAllTime: 0,
    likes: 0,
    library_name: repo.libraryName,
    pipeline_tag: repo.pipelineTag,
    tags: [...repo.tags, ...(repo.license ? [`license:${repo.license}`] : [])],
    ...(repo.license ? { cardData: { license: repo.license } } : {}),
    ...(config ? { config } : {}),
    siblings: files.map((file) =>
      query.blobs
        ? {
            rfilename: file.path,
            blobId: file.oid,
            size: file.size,
            ...(file.lfs ? { lfs: { sha256: file.lfs.oid, size: file.size, pointerSize: file.lfs.pointerSize } } : {}),
          }
        : { rfilename: file.path },
    ),
    spaces: [],
    usedStorage: files.reduce((sum, file) => sum + file.size, 0),
  };
  if (query.expand.length === 0) return full;
  return Object.fromEntries(['_id', 'id', ...query.expand].filter((key) => key in full).map((key) => [key, full[key]]));
}

/** The entry of one path (file or folder) of a commit, or undefined when it has neither. */
export function treeEntryJson(
  store: RepoStore,
  repo: StoredRepo,
  commit: StoredCommit,
  path: string,
  expand: boolean,
): TreeEntryJson | undefined {
  const file = commit.files.get(path)?.info;
  const treeOid = path === '' ? undefined : commit.trees.get(path);
  let entry: TreeEntryJson;
  if (file) {
    entry = { type: 'file', oid: file.oid, size: file.size, path };
    if (file.lfs) entry.lfs = { ...file.lfs };
  } else if (treeOid !== undefined) {
    entry = { type: 'directory', oid: treeOid, size: 0, path };
  } else {
    return undefined;
  }
  if (expand) {
    const last = store.lastCommitOf(repo, commit, path);
    entry.lastCommit = { id: last.id, title: last.title, date: last.date };
  }
  return entry;
}

/** The paths under a folder (`''` for the root): its children, or depth-first all descendants. */
export function listFolder(commit: StoredCommit, folder: string, recursive: boolean): string[] {
  const children = new Map<string, string[]>();
  const all = [...commit.files.keys(), ...[...commit.trees.keys()].filter((dir) => dir !== '')];
  for (const path of all) {
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    children.set(parent, [...(children.get(parent) ?? []), path]);
  }
  // Git's order: names compare as if folders ended with '/'.
  const sortKey = (path: string) => (commit.trees.has(path) ? `${path}/` : path);
  const walk = (dir: string): string[] =>
    (children.get(dir) ?? [])
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
      .flatMap((path) => (recursive && commit.trees.has(path) ? [path, ...walk(path)] : [path]));
  return walk(folder);
}

/** `{architectures, model_type}` from config.json, as the Hub's `config` field summarises it. */
function configSummary(commit: StoredCommit): Record<string, unknown> | undefined {
  const source = commit.files.get('config.json')?.source;
  if (!(source instanceof Uint8Array)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(source).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { architectures, model_type } = parsed as Record<string, unknown>;
    return { architectures, model_type };
  } catch {
    return undefined;
  }
}
