import type { IncomingMessage, ServerResponse } from 'node:http';
import { listFolder, modelInfoJson, treeEntryJson } from './api-json.js';
import type { CdnTickets } from './cdn-tickets.js';
import type { FaultEndpoint, FaultPlan } from './fault-plan.js';
import { HubErrorReply, hubErrors } from './hub-error-reply.js';
import { lfsPointer, type RepoStore, type StoredCommit, type StoredRepo } from './repo-store.js';
import { sendBody } from './send-body.js';
import type { TokenRegistry } from './token-registry.js';

/** What the hub server reads and writes. */
export interface HubContext {
  hubUrl: string;
  store: RepoStore;
  tokens: TokenRegistry;
  faults: FaultPlan;
  tickets: CdnTickets;
  treePageSize(): number;
  onError(error: unknown): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The request handler of the hub origin: the model API and the resolve/raw file endpoints. */
export function createHubHandler(context: HubContext): Handler {
  let requestCount = 0;
  return async (req, res) => {
    res.setHeader('X-Request-Id', `Root=1-fakehub-${++requestCount}`);
    try {
      await route(context, req, res);
    } catch (error) {
      if (!(error instanceof HubErrorReply)) context.onError(error);
      if (res.headersSent) res.destroy();
      else (error instanceof HubErrorReply ? error : new HubErrorReply(500, undefined, String(error))).send(res);
    }
  };
}

async function route(context: HubContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', context.hubUrl);
  const parts = url.pathname.split('/').slice(1);
  if (parts[0] === 'api' && parts[1] === 'whoami-v2' && parts.length === 2) {
    return whoami(context, req, res);
  }
  if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 4) {
    const repoId = `${decode(parts[2]!)}/${decode(parts[3]!)}`;
    const [action, ...rest] = parts.slice(4);
    if ((action === undefined || action === 'revision') && isRead(req)) {
      const revision = action === undefined ? 'main' : rest.map(decode).join('/');
      return modelInfo(context, req, res, url, repoId, revision);
    }
    if (action === 'tree' && isRead(req)) return tree(context, req, res, url, repoId, rest);
    if (action === 'paths-info' && req.method === 'POST') {
      return pathsInfo(context, req, res, repoId, rest.map(decode).join('/'));
    }
  }
  if (parts.length >= 5 && (parts[2] === 'resolve' || parts[2] === 'raw') && isRead(req)) {
    const repoId = `${decode(parts[0]!)}/${decode(parts[1]!)}`;
    return file(context, req, res, repoId, parts[2], parts.slice(3));
  }
  throw hubErrors.notFound();
}

async function modelInfo(
  context: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  repoId: string,
  revision: string,
): Promise<void> {
  checkStatusFault(context, 'model-info', repoId);
  const { repo } = authorize(context, req, repoId, false);
  const commit = resolve(context, repo, revision);
  const expand = url.searchParams.getAll('expand');
  const blobs = isTrue(url.searchParams.get('blobs'));
  sendJson(res, modelInfoJson(repo, commit, { expand, blobs }));
}

async function tree(
  context: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  repoId: string,
  rest: string[],
): Promise<void> {
  checkStatusFault(context, 'tree', repoId);
  const { repo } = authorize(context, req, repoId, false);
  const { revision, path } = splitRevisionAndPath(rest);
  const commit = resolve(context, repo, revision);
  if (path !== '' && !commit.trees.has(path)) throw hubErrors.entryNotFound(commit.id);
  const recursive = isTrue(url.searchParams.get('recursive'));
  const expand = isTrue(url.searchParams.get('expand'));
  const paths = listFolder(commit, path, recursive);
  const offset = decodeCursor(url.searchParams.get('cursor'));
  const pageSize = context.treePageSize();
  const page = paths.slice(offset, offset + pageSize);
  const headers: Record<string, string> = {};
  if (offset + pageSize < paths.length) {
    const next = new URL(url.pathname, context.hubUrl);
    for (const [key, value] of url.searchParams) if (key !== 'cursor') next.searchParams.append(key, value);
    next.searchParams.set('cursor', Buffer.from(JSON.stringify({ offset: offset + pageSize })).toString('base64url'));
    headers.Link = `<${next.href}>; rel="next"`;
  }
  sendJson(res, page.map((entry) => treeEntryJson(context.store, repo, commit, entry, expand)), headers);
}

async function pathsInfo(
  context: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  repoId: string,
  revision: string,
): Promise<void> {
  checkStatusFault(context, 'paths-info', repoId);
  const { repo } = authorize(context, req, repoId, false);
  const commit = resolve(context, repo, revision);
  const { paths, expand } = parsePathsInfoBody(req.headers['content-type'] ?? '', await readBody(req));
  const entries = paths
    .map((path) => treeEntryJson(context.store, repo, commit, path.replace(/^\/+|\/+$/g, ''), expand))
    .filter((entry) => entry !== undefined);
  sendJson(res, entries);
}

async function file(
  context: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  repoId: string,
  mode: 'resolve' | 'raw',
  rest: string[],
): Promise<void> {
  const { revision, path } = splitRevisionAndPath(rest);
  checkStatusFault(context, 'resolve', repoId, path);
  const { repo } = authorize(context, req, repoId, true);
  const commit = resolve(context, repo, revision);
  const stored = commit.files.get(path);
  if (!stored) throw hubErrors.entryNotFound(commit.id);
  const { info } = stored;
  const headers = { 'X-Repo-Commit': commit.id, ETag: `"${info.oid}"` };
  if (info.lfs && mode === 'resolve') {
    const location = context.tickets.issue({
      repo: repoId,
      path,
      sha256: info.lfs.oid,
      size: info.size,
      source: stored.source,
    });
    const body = `Found. Redirecting to ${location}`;
    res.writeHead(302, {
      ...headers,
      Location: location,
      'X-Linked-Etag': `"${info.lfs.oid}"`,
      'X-Linked-Size': info.size,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  // `raw` serves what git stores: the LFS pointer for LFS files.
  const source = info.lfs ? Buffer.from(lfsPointer(info.lfs.oid, info.size)) : stored.source;
  const size = info.lfs ? info.lfs.pointerSize : info.size;
  await sendBody(req, res, {
    source,
    size,
    headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' },
    faults: context.faults,
    fault: { endpoint: 'resolve', repo: repoId, path },
  });
}

async function whoami(context: HubContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const caller = context.tokens.identify(req.headers.authorization);
  if (caller.kind === 'invalid') throw hubErrors.invalidToken();
  if (caller.kind === 'anonymous') throw new HubErrorReply(401, undefined, 'Invalid username or password.');
  sendJson(res, {
    type: 'user',
    id: '000000000000000000000000',
    name: 'fake-user',
    fullname: 'Fake User',
    auth: { type: 'access_token', accessToken: { displayName: 'fake-hub', role: 'read' } },
  });
}

/**
 * Applies the Hub's access rules: a bad token fails everything; a private repo looks missing
 * without access; a gated repo shows its metadata to anyone but its files only with access.
 */
function authorize(
  context: HubContext,
  req: IncomingMessage,
  repoId: string,
  readsFiles: boolean,
): { repo: StoredRepo } {
  const caller = context.tokens.identify(req.headers.authorization);
  if (caller.kind === 'invalid') throw hubErrors.invalidToken();
  const hasAccess = caller.kind === 'user' && caller.canAccess(repoId);
  const repo = context.store.get(repoId);
  if (!repo || (repo.private && !hasAccess)) throw hubErrors.repoNotFound(caller.kind === 'user');
  if (readsFiles && repo.gated && !hasAccess) {
    throw caller.kind === 'user' ? hubErrors.gatedNoAccess(repoId, context.hubUrl) : hubErrors.gatedNoToken(repoId);
  }
  return { repo };
}

function resolve(context: HubContext, repo: StoredRepo, revision: string): StoredCommit {
  const commit = context.store.resolveRevision(repo, revision);
  if (!commit) throw hubErrors.revisionNotFound(revision);
  return commit;
}

function checkStatusFault(context: HubContext, endpoint: FaultEndpoint, repo: string, path?: string): void {
  const fault = context.faults.takeStatus({ endpoint, repo, path });
  if (fault) throw hubErrors.fault(fault.status, fault.retryAfter);
}

/**
 * Splits `{rev}/{path}` segments. Clients percent-encode a revision with slashes
 * (`refs%2Fpr%2F1`), but some send `refs/pr/1` raw, which the Hub also accepts.
 */
function splitRevisionAndPath(segments: string[]): { revision: string; path: string } {
  const [first = '', ...rest] = segments;
  const take = first === 'refs' && rest.length >= 2 ? 3 : 1;
  return {
    revision: segments.slice(0, take).map(decode).join('/'),
    path: segments.slice(take).map(decode).join('/'),
  };
}

function parsePathsInfoBody(contentType: string, body: string): { paths: string[]; expand: boolean } {
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw hubErrors.badRequest('Invalid JSON body');
    }
    const { paths, expand } = (parsed ?? {}) as { paths?: unknown; expand?: unknown };
    if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string')) {
      throw hubErrors.badRequest('"paths" must be an array of strings');
    }
    return { paths, expand: expand === true };
  }
  // huggingface_hub (Python) posts a form: paths=a&paths=b&expand=True.
  const form = new URLSearchParams(body);
  return { paths: form.getAll('paths'), expand: isTrue(form.get('expand')) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function decodeCursor(cursor: string | null): number {
  if (cursor === null) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // Falls through to the Hub's answer for a bad cursor.
  }
  throw hubErrors.badRequest('Invalid cursor');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw hubErrors.badRequest(`Invalid path segment: ${segment}`);
  }
}

function isRead(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

function isTrue(value: string | null): boolean {
  return value !== null && ['1', 'true', 'True'].includes(value);
}
