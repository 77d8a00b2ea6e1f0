import http from 'node:http';
import https from 'node:https';

/** A GET's answer: status, headers (lower-case names) and the body as a Node stream. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: http.IncomingMessage;
}

/**
 * GETs `url` with Node's own http/https clients, without following redirects. Used for file bytes:
 * Node streams carry a large body with less overhead than fetch's web streams (measured about
 * 1.3–1.9× the throughput on loopback), which matters once hashing runs on the same core.
 */
export function httpGet(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
  const client = new URL(url).protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers, signal }, (response) => {
      const answerHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      resolve({ status: response.statusCode ?? 0, headers: answerHeaders, body: response });
    });
    request.on('error', reject);
  });
}

/** The answer's head as a fetch Response (for the error mapping shared with API calls); drops the body. */
export function asResponse(answer: HttpAnswer): Response {
  answer.body.resume();
  return new Response(null, { status: answer.status, headers: answer.headers });
}
