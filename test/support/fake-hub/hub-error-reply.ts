import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Hub failures a handler throws; the router turns them into the Hub's error replies. */
export class HubErrorReply extends Error {
  constructor(
    readonly status: number,
    /** The `X-Error-Code` header, when the Hub sets one for this case. */
    readonly errorCode: string | undefined,
    message: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(message);
  }

  /** Writes the reply as the Hub does: X-Error-Code, X-Error-Message and `{"error": ...}`. */
  send(res: ServerResponse): void {
    const body = JSON.stringify({ error: this.message });
    res.writeHead(this.status, {
      ...this.headers,
      ...(this.errorCode ? { 'X-Error-Code': this.errorCode } : {}),
      'X-Error-Message': this.message,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}

/** The Hub's replies for each failure a downloader must tell apart. */
export const hubErrors = {
  /** Missing repo, or private without access: 401 to anonymous callers, 404 to authenticated ones. */
  repoNotFound: (authenticated: boolean) =>
    new HubErrorReply(authenticated ? 404 : 401, 'RepoNotFound', 'Repository not found'),
  gatedNoToken: (repo: string) =>
    new HubErrorReply(
      401,
      'GatedRepo',
      `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
    ),
  gatedNoAccess: (repo: string, hubUrl: string) =>
    new HubErrorReply(
      403,
      'GatedRepo',
      `Access to model ${repo} is restricted and you are not in the authorized list. Visit ${hubUrl}/${repo} to ask for access.`,
    ),
  /** No X-Error-Code: huggingface_hub recognises this case by its message. */
  invalidToken: () => new HubErrorReply(401, undefined, 'Invalid credentials in Authorization header'),
  revisionNotFound: (revision: string) =>
    new HubErrorReply(404, 'RevisionNotFound', `Invalid rev id: ${revision}`),
  /** Carries X-Repo-Commit, which huggingface_hub uses to remember the file as absent. */
  entryNotFound: (commit?: string) =>
    new HubErrorReply(404, 'EntryNotFound', 'Entry not found', commit ? { 'X-Repo-Commit': commit } : {}),
  badRequest: (message: string) => new HubErrorReply(400, undefined, message),
  notFound: () => new HubErrorReply(404, undefined, 'Not Found'),
  fault: (status: number, retryAfter?: number) =>
    new HubErrorReply(
      status,
      undefined,
      status === 429 ? 'You have been rate-limited' : 'Internal Error',
      retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
    ),
};
