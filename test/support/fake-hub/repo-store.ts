import { readFile } from 'node:fs/promises';
import { commitOid, treeOids } from './git-objects.js';
import { gitBlobSha1, hashFileOnDisk, sha256Hex } from './hash-content.js';
import type { FakeCommitSpec, FakeFileContent, FakeFileInfo, FakeRepoInfo, FakeRepoSpec } from './types.js';

/** Where a file's bytes come from when served. */
export type FileSource = Uint8Array | { fromFile: string };

/** A file of one commit: its description and its bytes. */
export interface StoredFile {
  info: FakeFileInfo;
  source: FileSource;
}

/** One commit: a full file set plus the git ids of its folders. */
export interface StoredCommit {
  id: string;
  parent?: string;
  title: string;
  /** ISO date. */
  date: string;
  files: Map<string, StoredFile>;
  /** Folder path (`''` for the root) → git tree id. */
  trees: Map<string, string>;
}

/** A model repo with its settings, refs and commit history. */
export interface StoredRepo {
  id: string;
  private: boolean;
  gated: false | 'auto' | 'manual';
  license?: string;
  tags: string[];
  libraryName: string;
  pipelineTag: string;
  createdAt: string;
  /** Branch, tag or `refs/pr/N` → commit id. */
  refs: Map<string, string>;
  commits: Map<string, StoredCommit>;
}

const LFS_EXTENSION = /\.(onnx|onnx_data(_\d+)?|data|bin|safetensors|gguf)$/;
/** The Hub stores any file above 10 MB in LFS, whatever its name. */
const LFS_MIN_SIZE = 10 * 1024 * 1024;
const REPO_ID = /^[\w.-]+\/[\w.-]+$/;
const FIRST_COMMIT_TIME = Date.UTC(2024, 0, 1) / 1000;

/** The git-lfs pointer file that git stores in place of an LFS file's content. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

/** The fake hub's state: repos, their commits and refs, built as git would build them. */
export class RepoStore {
  private readonly repos = new Map<string, StoredRepo>();
  /** Each commit gets the next minute, so ids and dates are the same on every run. */
  private clock = 0;

  /** Adds a repo whose `main` (and `spec.refs`) point at one commit holding `spec.files`. */
  async addRepo(spec: FakeRepoSpec): Promise<FakeRepoInfo> {
    if (!REPO_ID.test(spec.id)) throw new Error(`fake hub: repo id must be "org/name", got "${spec.id}"`);
    if (this.repos.has(spec.id)) throw new Error(`fake hub: repo ${spec.id} already exists`);
    const files = await storeFiles(spec.files);
    if (this.repos.has(spec.id)) throw new Error(`fake hub: repo ${spec.id} already exists`);
    const commit = this.makeCommit(files, spec.title ?? `Upload ${spec.id}`);
    const repo: StoredRepo = {
      id: spec.id,
      private: spec.private ?? false,
      gated: spec.gated ?? false,
      license: spec.license,
      tags: spec.tags ?? [],
      libraryName: spec.libraryName ?? 'transformers.js',
      pipelineTag: spec.pipelineTag ?? 'text-generation',
      createdAt: commit.date,
      refs: new Map([['main', commit.id]]),
      commits: new Map([[commit.id, commit]]),
    };
    for (const ref of spec.refs ?? []) repo.refs.set(ref, commit.id);
    this.repos.set(spec.id, repo);
    return describeCommit(repo.id, commit);
  }

  /** Adds a commit on a branch (moving it), changing the files the spec names. */
  async commit(repoId: string, spec: FakeCommitSpec): Promise<FakeRepoInfo> {
    const repo = this.require(repoId);
    const branch = spec.branch ?? 'main';
    const parent = repo.commits.get(repo.refs.get(branch) ?? repo.refs.get('main')!)!;
    const files = new Map(parent.files);
    for (const path of spec.deletes ?? []) {
      if (!files.delete(path)) throw new Error(`fake hub: cannot delete missing ${path} from ${repoId}`);
    }
    for (const [path, file] of await storeFiles(spec.files ?? {})) files.set(path, file);
    const commit = this.makeCommit(files, spec.title ?? 'Update files', parent.id);
    repo.commits.set(commit.id, commit);
    repo.refs.set(branch, commit.id);
    return describeCommit(repo.id, commit);
  }

  /** Points a branch, tag or `refs/pr/N` at an existing commit. */
  setRef(repoId: string, ref: string, commitId: string): void {
    const repo = this.require(repoId);
    if (!repo.commits.has(commitId)) throw new Error(`fake hub: ${repoId} has no commit ${commitId}`);
    repo.refs.set(ref, commitId);
  }

  /** The repo with that id, if any. */
  get(repoId: string): StoredRepo | undefined {
    return this.repos.get(repoId);
  }

  /** The commit a revision names: a ref, `HEAD`, `refs/heads/x`, `refs/tags/x` or a commit id. */
  resolveRevision(repo: StoredRepo, revision: string): StoredCommit | undefined {
    const name = revision === 'HEAD' ? 'main' : revision.replace(/^refs\/(heads|tags)\//, '');
    const id = repo.refs.get(name) ?? (/^[0-9a-f]{40}$/.test(name) ? name : undefined);
    return id === undefined ? undefined : repo.commits.get(id);
  }

  /** The oldest commit, walking back from `commit`, since which `path` (file or folder) is unchanged. */
  lastCommitOf(repo: StoredRepo, commit: StoredCommit, path: string): StoredCommit {
    const oidAt = (c: StoredCommit) => c.files.get(path)?.info.oid ?? c.trees.get(path);
    let current = commit;
    const oid = oidAt(commit);
    while (current.parent !== undefined) {
      const parent = repo.commits.get(current.parent)!;
      if (oidAt(parent) !== oid) break;
      current = parent;
    }
    return current;
  }

  private require(repoId: string): StoredRepo {
    const repo = this.repos.get(repoId);
    if (!repo) throw new Error(`fake hub: no repo ${repoId}`);
    return repo;
  }

  private makeCommit(files: Map<string, StoredFile>, title: string, parent?: string): StoredCommit {
    const time = FIRST_COMMIT_TIME + 60 * this.clock++;
    const trees = treeOids(new Map([...files].map(([path, file]) => [path, file.info.oid])));
    const id = commitOid({ tree: trees.get('')!, parent, time, title });
    return { id, parent, title, date: new Date(time * 1000).toISOString(), files, trees };
  }
}

async function storeFiles(files: Record<string, FakeFileContent>): Promise<Map<string, StoredFile>> {
  const stored = new Map<string, StoredFile>();
  for (const [path, content] of Object.entries(files)) {
    if (path.startsWith('/') || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new Error(`fake hub: bad file path "${path}"`);
    }
    stored.set(path, await storeFile(path, content));
  }
  const paths = [...stored.keys()];
  const clash = paths.find((path) => paths.some((other) => other.startsWith(`${path}/`)));
  if (clash !== undefined) throw new Error(`fake hub: "${clash}" is both a file and a folder`);
  return stored;
}

async function storeFile(path: string, content: FakeFileContent): Promise<StoredFile> {
  if (typeof content === 'object' && 'fromFile' in content) {
    const { size, sha256 } = await hashFileOnDisk(content.fromFile);
    if (isLfs(path, size)) return { info: lfsInfo(path, size, sha256), source: content };
    return storeFile(path, await readFile(content.fromFile));
  }
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const sha256 = sha256Hex(bytes);
  if (isLfs(path, bytes.length)) return { info: lfsInfo(path, bytes.length, sha256), source: bytes };
  const oid = gitBlobSha1(bytes);
  return { info: { path, size: bytes.length, oid, sha256, etag: oid }, source: bytes };
}

function isLfs(path: string, size: number): boolean {
  return LFS_EXTENSION.test(path) || size > LFS_MIN_SIZE;
}

function lfsInfo(path: string, size: number, sha256: string): FakeFileInfo {
  const pointer = lfsPointer(sha256, size);
  return {
    path,
    size,
    oid: gitBlobSha1(pointer),
    sha256,
    lfs: { oid: sha256, size, pointerSize: Buffer.byteLength(pointer) },
    etag: sha256,
  };
}

function describeCommit(id: string, commit: StoredCommit): FakeRepoInfo {
  const files = Object.fromEntries([...commit.files].map(([path, file]) => [path, { ...file.info }]));
  return { id, commit: commit.id, files };
}
