import { createHash } from 'node:crypto';

/**
 * Git object ids for the fake hub's commits, computed as git does so that tree `oid`s of
 * directories and commit ids look and behave like the real ones (content-addressed, stable).
 */

/** The git tree id of every folder of a file set (`''` is the root), given each file's blob id. */
export function treeOids(fileOids: ReadonlyMap<string, string>): Map<string, string> {
  const children = new Map<string, Map<string, { mode: string; oid?: string }>>();
  const folder = (dir: string) => {
    let entries = children.get(dir);
    if (!entries) {
      entries = new Map();
      children.set(dir, entries);
    }
    return entries;
  };
  folder('');
  for (const [filePath, oid] of fileOids) {
    const parts = filePath.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join('/');
      const name = parts[depth]!;
      const isFile = depth === parts.length - 1;
      folder(dir).set(name, isFile ? { mode: '100644', oid } : { mode: '40000' });
    }
  }
  const oids = new Map<string, string>();
  const hashFolder = (dir: string): string => {
    const entries = [...children.get(dir)!].map(([name, entry]) => ({
      name,
      mode: entry.mode,
      oid: entry.oid ?? hashFolder(dir ? `${dir}/${name}` : name),
    }));
    // Git orders a folder's entries as if folder names ended with '/'.
    const sortKey = (entry: { name: string; mode: string }) =>
      Buffer.from(entry.mode === '40000' ? `${entry.name}/` : entry.name);
    entries.sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
    const body = Buffer.concat(
      entries.flatMap((entry) => [Buffer.from(`${entry.mode} ${entry.name}\0`), Buffer.from(entry.oid, 'hex')]),
    );
    const oid = createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
    oids.set(dir, oid);
    return oid;
  };
  hashFolder('');
  return oids;
}

/** The git commit id of a commit with one author, a Unix time and a one-line title. */
export function commitOid(commit: { tree: string; parent?: string; time: number; title: string }): string {
  const signature = `Fake Hub <fake-hub@example.test> ${commit.time} +0000`;
  const text =
    `tree ${commit.tree}\n` +
    (commit.parent ? `parent ${commit.parent}\n` : '') +
    `author ${signature}\ncommitter ${signature}\n\n${commit.title}\n`;
  return createHash('sha1').update(`commit ${Buffer.byteLength(text)}\0`).update(text).digest('hex');
}
