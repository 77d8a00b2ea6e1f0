import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CdnTickets } from './cdn-tickets.js';
import type { FaultPlan } from './fault-plan.js';
import { sendBody } from './send-body.js';

/** What the CDN server reads. */
export interface CdnContext {
  cdnUrl: string;
  tickets: CdnTickets;
  faults: FaultPlan;
  onError(error: unknown): void;
}

/**
 * The request handler of the CDN origin: serves LFS objects to anyone holding a valid signed URL,
 * with ranges, and never asks for (or needs) the Hub token.
 */
export function createCdnHandler(context: CdnContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed');
      const grant = context.tickets.redeem(new URL(req.url ?? '/', context.cdnUrl));
      if ('denied' in grant) return sendText(res, 403, grant.denied);
      const { ticket } = grant;
      const fault = context.faults.takeStatus({ endpoint: 'cdn', repo: ticket.repo, path: ticket.path });
      if (fault) {
        return sendText(res, fault.status, `Error ${fault.status}`, fault.retryAfter);
      }
      await sendBody(req, res, {
        source: ticket.source,
        size: ticket.size,
        headers: {
          ETag: `"${ticket.sha256}"`,
          'Content-Type': 'application/octet-stream',
          'Cache-Control': 'public, max-age=604800, immutable',
          'X-Cache': 'Hit from cloudfront',
        },
        faults: context.faults,
        fault: { endpoint: 'cdn', repo: ticket.repo, path: ticket.path },
      });
    } catch (error) {
      context.onError(error);
      if (res.headersSent) res.destroy();
      else sendText(res, 500, String(error));
    }
  };
}

function sendText(res: ServerResponse, status: number, text: string, retryAfter?: number): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...(retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) }),
  });
  res.end(text);
}
