import { z } from 'zod';
import { httpStatusOf, OwmError } from '../errors.js';

/** An answer that is not a success: its HTTP status, a message safe to send, and the API's own error code. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 500 | 502 | 503 | 507,
    message: string,
    options: { code?: string; param?: string } = {},
  ) {
    super(message);
    this.code = options.code;
    this.param = options.param;
  }

  /** A machine-readable code (OpenAI's `code` field). */
  readonly code?: string;
  /** The request field at fault, when one is. */
  readonly param?: string;
}

/** Turns anything thrown while serving a request into an ApiError whose message is safe to send (no stack, no paths of the server's code). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return fromZodError(error);
  if (error instanceof OwmError) return new ApiError(httpStatusOf(error.code) as ApiError['status'], error.message, { code: error.code });
  return new ApiError(500, 'The server failed to answer this request; see its log.', { code: 'internal' });
}

/** A 400 naming the first invalid field, as `messages[0].role: ...`. */
export function fromZodError(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const param = issue?.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`)).join('') ?? '';
  const message = param ? `Invalid '${param}': ${issue?.message}.` : `Invalid request: ${issue?.message}.`;
  return new ApiError(400, message, { code: 'invalid_request', param: param || undefined });
}
