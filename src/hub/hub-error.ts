import { HubError } from '../errors.js';

/** What a request was about, so an error can name it. */
export interface RequestContext {
  endpoint: string;
  repo: string;
  revision?: string;
  path?: string;
  /** Whether a token was sent, which changes what "not found" most likely means. */
  hasToken: boolean;
}

/** Statuses worth retrying: the server or the path to it had a bad moment. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Maps a failed Hub response to one user-facing HubError, using the `X-Error-Code` header the Hub
 * sets (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound) and the status otherwise.
 */
export function hubErrorFromResponse(response: Response, context: RequestContext): HubError {
  const errorCode = response.headers.get('x-error-code') ?? '';
  const serverMessage = response.headers.get('x-error-message') ?? '';
  const { endpoint, repo } = context;
  const repoUrl = `${endpoint}/${repo}`;
  const status = response.status;

  if (errorCode === 'GatedRepo') return gatedRepoError(endpoint, repo, status === 403);
  if (status === 401 && /invalid (credentials|username|token)|bad credentials/i.test(serverMessage)) {
    return badTokenError(endpoint);
  }
  if (errorCode === 'RepoNotFound' || (status === 404 && !errorCode && !context.path)) {
    const hint = context.hasToken
      ? 'check the name (and that your token can see it if it is private)'
      : 'check the name, and set HF_TOKEN if it is a private repo';
    return new HubError(`Model ${repo} was not found on the Hub: ${hint}.`, { code: 'repo-not-found' });
  }
  if (errorCode === 'RevisionNotFound') {
    return new HubError(
      `Revision '${context.revision}' does not exist in ${repo}: use a branch, tag or commit listed at ${repoUrl}.`,
      { code: 'revision-not-found' },
    );
  }
  if (errorCode === 'EntryNotFound' || (status === 404 && context.path)) {
    return new HubError(
      `File '${context.path}' does not exist in ${repo} at revision ${context.revision ?? 'main'}: the repo changed; run the pull again.`,
      { code: 'entry-not-found' },
    );
  }
  if (status === 401 || status === 403) {
    return context.hasToken
      ? badTokenError(endpoint)
      : new HubError(`The Hub refused access to ${repo} (${status}): set HF_TOKEN (or --token) to a token that can read it.`, {
          code: 'unauthorized',
        });
  }
  return new HubError(
    `The Hub answered ${status}${serverMessage ? ` (${serverMessage})` : ''} for ${repo}: try again later, or check HF_ENDPOINT.`,
    { code: isTransientStatus(status) ? 'hub-unavailable' : 'hub-error' },
  );
}

/** A gated repo refused the download: without a token, or with one whose account lacks access. */
export function gatedRepoError(endpoint: string, repo: string, tokenLacksAccess: boolean): HubError {
  const repoUrl = `${endpoint}/${repo}`;
  return tokenLacksAccess
    ? new HubError(`Your token has no access to the gated model ${repo}: request access at ${repoUrl}, then try again.`, {
        code: 'gated-no-access',
      })
    : new HubError(
        `Model ${repo} is gated: accept its terms at ${repoUrl} and set HF_TOKEN (or --token) to a token of that account.`,
        { code: 'gated' },
      );
}

/** The token was rejected by the Hub. */
export function badTokenError(endpoint: string): HubError {
  return new HubError(
    `The Hugging Face token was rejected: create a valid one at ${endpoint}/settings/tokens and set HF_TOKEN (or --token).`,
    { code: 'bad-token' },
  );
}

/** The Hub could not be reached at all (DNS, refused connection, reset). */
export function unreachableError(endpoint: string, cause: unknown): HubError {
  const reason = networkReason(cause);
  return new HubError(
    `Cannot reach the Hub at ${endpoint}${reason ? ` (${reason})` : ''}: check your network or HF_ENDPOINT, or use --offline for models already pulled.`,
    { code: 'unreachable', cause },
  );
}

/**
 * True when a failed connection will fail the same way if tried again soon: the host name does
 * not resolve (offline, a typo in HF_ENDPOINT). Refused and reset connections are worth a retry.
 */
export function isPermanentNetworkFailure(error: unknown): boolean {
  const reason = networkReason(error);
  return reason === 'ENOTFOUND' || reason === 'EAI_AGAIN';
}

/** The system error code behind a failed fetch (ECONNREFUSED, ENOTFOUND, ...), if any. */
export function networkReason(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$|^UND_ERR/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
