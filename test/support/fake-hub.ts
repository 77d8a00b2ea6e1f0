import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCdnHandler } from './fake-hub/cdn-handler.js';
import { CdnTickets } from './fake-hub/cdn-tickets.js';
import { FaultPlan } from './fake-hub/fault-plan.js';
import { createHubHandler } from './fake-hub/hub-handler.js';
import { RepoStore } from './fake-hub/repo-store.js';
import { TokenRegistry } from './fake-hub/token-registry.js';
import type { FakeCommitSpec, FakeRepoInfo, FakeRepoSpec, FakeRequest } from './fake-hub/types.js';

export { fakeRepoFromFolder } from './fake-hub/fake-repo-from-folder.js';
export type { FaultAction, FaultEndpoint, FaultSpec, FaultTarget } from './fake-hub/fault-plan.js';
export { FaultPlan } from './fake-hub/fault-plan.js';
export { gitBlobSha1, sha256Hex } from './fake-hub/hash-content.js';
export type * from './fake-hub/types.js';

/** Settings of a fake hub. */
export interface FakeHubOptions {
  /** Entries per page of the tree API, small so that tests page. @default 50 */
  treePageSize?: number;
  /** Lifetime of the signed CDN URLs the hub redirects to. @default 3600 */
  cdnUrlTtlSeconds?: number;
}

/** A running fake Hugging Face Hub: a hub origin and a separate CDN origin on 127.0.0.1. */
export interface FakeHub {
  /** Hub origin, e.g. `http://127.0.0.1:41234`: pass it as `hubUrl` / `HF_ENDPOINT`. */
  readonly url: string;
  /** CDN origin that LFS downloads are redirected to. */
  readonly cdnUrl: string;
  /** Serves a new repo; resolves once every file is hashed. */
  addRepo(spec: FakeRepoSpec): Promise<FakeRepoInfo>;
  /** Adds a commit to a repo, moving a branch (`main` by default). */
  commit(repo: string, spec: FakeCommitSpec): Promise<FakeRepoInfo>;
  /** Points a branch, tag or `refs/pr/N` at a commit. */
  setRef(repo: string, ref: string, commit: string): void;
  /** Accepts a token, giving it access to the listed gated/private repos (`'*'`: all). */
  addToken(token: string, options?: { repos?: string[] }): void;
  /** Faults to inject, consumed in order. */
  readonly faults: FaultPlan;
  /** Every request both origins received, in order. */
  readonly requests: FakeRequest[];
  /** Whether any request to the CDN carried an Authorization header (the token leaked). */
  readonly cdnSawAuthorization: boolean;
  /** Entries per tree page; may be changed between requests. */
  treePageSize: number;
  /** Exceptions thrown inside the servers (bugs of the fake); a test can assert none. */
  readonly serverErrors: unknown[];
  /** Ends every connection, stalled ones included, and stops both servers. */
  close(): Promise<void>;
}

/**
 * Starts a fake hub and its CDN on random loopback ports.
 *
 *   const hub = await startFakeHub({ treePageSize: 3 });
 *   const repo = await hub.addRepo(await fakeRepoFromFolder('org/tiny', dir, { gated: 'manual' }));
 *   hub.addToken('hf_test', { repos: ['org/tiny'] });
 *   hub.faults.add({ path: 'onnx/model.onnx_data', kind: 'drop-after', bytes: 1_000_000 });
 *   // ... run owm with HF_ENDPOINT=hub.url, HF_TOKEN=hf_test; compare with repo.files
 *   await hub.close();
 */
export async function startFakeHub(options: FakeHubOptions = {}): Promise<FakeHub> {
  const store = new RepoStore();
  const tokens = new TokenRegistry();
  const faults = new FaultPlan();
  const requests: FakeRequest[] = [];
  const serverErrors: unknown[] = [];
  const settings = { treePageSize: options.treePageSize ?? 50 };

  const hubServer = createServer();
  const cdnServer = createServer();
  const url = await listen(hubServer);
  const cdnUrl = await listen(cdnServer);
  const tickets = new CdnTickets(cdnUrl, options.cdnUrlTtlSeconds ?? 3600);
  const onError = (error: unknown) => serverErrors.push(error);

  const hubHandler = createHubHandler({
    hubUrl: url,
    store,
    tokens,
    faults,
    tickets,
    treePageSize: () => settings.treePageSize,
    onError,
  });
  const cdnHandler = createCdnHandler({ cdnUrl, tickets, faults, onError });
  hubServer.on('request', logged('hub', requests, hubHandler));
  cdnServer.on('request', logged('cdn', requests, cdnHandler));

  return {
    url,
    cdnUrl,
    addRepo: (spec) => store.addRepo(spec),
    commit: (repo, spec) => store.commit(repo, spec),
    setRef: (repo, ref, commit) => store.setRef(repo, ref, commit),
    addToken: (token, grant = {}) => tokens.add(token, grant.repos),
    faults,
    requests,
    get cdnSawAuthorization() {
      return requests.some((request) => request.host === 'cdn' && request.headers.authorization !== undefined);
    },
    get treePageSize() {
      return settings.treePageSize;
    },
    set treePageSize(size: number) {
      settings.treePageSize = size;
    },
    serverErrors,
    close: async () => {
      await Promise.all([stop(hubServer), stop(cdnServer)]);
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function logged(host: 'hub' | 'cdn', requests: FakeRequest[], handler: Handler) {
  return (req: IncomingMessage, res: ServerResponse) => {
    requests.push({
      host,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      get status() {
        return res.headersSent ? res.statusCode : 0;
      },
    });
    void handler(req, res);
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
