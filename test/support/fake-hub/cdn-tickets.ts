import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sha256Hex } from './hash-content.js';
import type { FileSource } from './repo-store.js';

/** What a signed CDN URL grants: one LFS object, until it expires. */
export interface CdnTicket {
  repo: string;
  path: string;
  sha256: string;
  size: number;
  source: FileSource;
  /** Unix seconds. */
  expires: number;
}

/**
 * The signed, unguessable CDN URLs the hub redirects LFS downloads to, shaped like the Hub's
 * CloudFront URLs (`/repos/xx/yy/<repo hash>/<sha256>?...&Expires=&Signature=&Key-Pair-Id=`).
 */
export class CdnTickets {
  private readonly issued = new Map<string, CdnTicket>();

  constructor(
    private readonly cdnUrl: string,
    private readonly ttlSeconds: number,
  ) {}

  /** A fresh signed URL for one object. */
  issue(ticket: Omit<CdnTicket, 'expires'>): string {
    const expires = Math.floor(Date.now() / 1000) + this.ttlSeconds;
    const signature = randomBytes(24).toString('base64url');
    this.issued.set(signature, { ...ticket, expires });
    const repoHash = sha256Hex(ticket.repo);
    const filename = path.posix.basename(ticket.path);
    const query = new URLSearchParams({
      'response-content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(filename)}; filename="${filename}";`,
      Expires: String(expires),
      Signature: signature,
      'Key-Pair-Id': 'KFAKEHUB0000000',
    });
    return `${this.cdnUrl}/repos/${repoHash.slice(0, 2)}/${repoHash.slice(2, 4)}/${repoHash}/${ticket.sha256}?${query}`;
  }

  /** The ticket a URL carries, or why it is refused. */
  redeem(url: URL): { ticket: CdnTicket } | { denied: string } {
    const ticket = this.issued.get(url.searchParams.get('Signature') ?? '');
    if (
      !ticket ||
      !url.pathname.endsWith(`/${ticket.sha256}`) ||
      url.searchParams.get('Expires') !== String(ticket.expires)
    ) {
      return { denied: 'Invalid signature' };
    }
    if (Date.now() / 1000 > ticket.expires) return { denied: 'Request has expired' };
    return { ticket };
  }
}
