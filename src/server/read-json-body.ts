import type { Context } from 'hono';
import { ApiError } from './api-error.js';

/** The request's JSON body, or a 400 that says why it is not one. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw new ApiError(400, 'The request has no body: send a JSON object.', { code: 'invalid_json' });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, `The request body is not valid JSON (${error instanceof Error ? error.message : String(error)}).`, { code: 'invalid_json' });
  }
}
