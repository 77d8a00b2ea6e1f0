/** Who sent a request, judged by its Authorization header. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'invalid' }
  | { kind: 'user'; token: string; canAccess(repo: string): boolean };

/** The tokens the fake hub accepts, and the gated or private repos each may reach. */
export class TokenRegistry {
  private readonly tokens = new Map<string, Set<string>>();

  /** Accepts `token`; it may reach the gated/private repos listed (`'*'` for all of them). */
  add(token: string, repos: readonly string[] = []): void {
    this.tokens.set(token, new Set(repos));
  }

  /** Reads `Authorization: Bearer <token>`; an unknown token or another scheme is invalid. */
  identify(authorization: string | undefined): Caller {
    if (authorization === undefined) return { kind: 'anonymous' };
    const token = authorization.match(/^Bearer\s+(\S+)$/i)?.[1];
    const repos = token === undefined ? undefined : this.tokens.get(token);
    if (token === undefined || repos === undefined) return { kind: 'invalid' };
    return { kind: 'user', token, canAccess: (repo) => repos.has('*') || repos.has(repo) };
  }
}
