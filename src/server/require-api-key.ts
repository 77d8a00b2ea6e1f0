import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './api-error.js';

/**
 * Requires `Authorization: Bearer <key>` on every request but the health checks. The key is
 * compared in constant time (both sides hashed first, so neither its length leaks).
 */
export function requireApiKey(key: string): MiddlewareHandler {
  const expected = digest(key);
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' || c.req.path === '/health' || (c.req.method === 'GET' && c.req.path === '/')) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new ApiError(401, match ? 'The API key is wrong: send the key the server was started with.' : 'An API key is required: send it as `Authorization: Bearer <key>`.', {
        code: 'invalid_api_key',
      });
    }
    return next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
