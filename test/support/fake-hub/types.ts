import type { IncomingHttpHeaders } from 'node:http';

/** What a file of a fake repo holds: bytes, text, or a file on disk that is streamed on demand. */
export type FakeFileContent = Uint8Array | string | { fromFile: string };

/** A model repo to serve; its files become the first commit of `main`. */
export interface FakeRepoSpec {
  /** `org/name`. */
  id: string;
  /** Repo path (forward slashes) → content. */
  files: Record<string, FakeFileContent>;
  /** Gated repos serve files only to a token granted access (metadata stays public, as on the Hub). */
  gated?: false | 'auto' | 'manual';
  /** Private repos look missing to anyone without a token granted access. */
  private?: boolean;
  /** Reported as `cardData.license` and a `license:` tag. */
  license?: string;
  /** Extra tags for the model info. */
  tags?: string[];
  /** @default 'transformers.js' */
  libraryName?: string;
  /** @default 'text-generation' */
  pipelineTag?: string;
  /** Further refs (branches, tags, `refs/pr/1`) pointing at the first commit; `main` always exists. */
  refs?: string[];
  /** Title of the first commit. @default 'Upload {id}' */
  title?: string;
}

/** A later commit on one branch of a fake repo. */
export interface FakeCommitSpec {
  /** The branch that moves; a new branch starts from `main`. @default 'main' */
  branch?: string;
  /** Files added or replaced. */
  files?: Record<string, FakeFileContent>;
  /** Paths removed. */
  deletes?: string[];
  /** @default 'Update files' */
  title?: string;
}

/** One file as the Hub describes it, for tests to compare against what a client stored. */
export interface FakeFileInfo {
  path: string;
  /** Size of the content in bytes. */
  size: number;
  /** Git blob sha1 of what git stores: the content, or the LFS pointer for LFS files. */
  oid: string;
  /** sha256 of the content, for every file. */
  sha256: string;
  /** Present for LFS files, as the tree API shows it. */
  lfs?: { oid: string; size: number; pointerSize: number };
  /** The cache's blob name: `lfs.oid` for LFS files, `oid` otherwise. */
  etag: string;
}

/** A commit of a fake repo and the files it holds. */
export interface FakeRepoInfo {
  id: string;
  /** 40-hex git commit id. */
  commit: string;
  /** Repo path → file description. */
  files: Record<string, FakeFileInfo>;
}

/** One request either server received, for assertions. */
export interface FakeRequest {
  host: 'hub' | 'cdn';
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Status sent, or 0 while the head is not yet written. */
  readonly status: number;
}
