/** One file in a repo tree, as the Hub's tree API lists it (directories are left out). */
export interface RepoFile {
  /** Path inside the repo, with forward slashes (`onnx/model_q4.onnx`). */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Git blob sha1 of the file (for LFS files: of the pointer). */
  oid: string;
  /** Present for LFS files: sha256 of the content, which is also the cache's blob name. */
  lfs?: { oid: string; size: number };
}

/** A model pulled into the cache: one commit of one repo, with the files of one variant. */
export interface Snapshot {
  /** `org/name` on the Hub. */
  repo: string;
  /** The 40-hex commit the snapshot belongs to. */
  commit: string;
  /** Absolute path of `snapshots/<commit>/` in the cache. */
  dir: string;
  /** The variant pulled (`q4`, `fp32`, `cpu-int4-rtn-block-32-acc-level-4`, ...). */
  variant: string;
  /** Repo-relative paths of the files of that variant, all present under `dir`. */
  files: string[];
}
