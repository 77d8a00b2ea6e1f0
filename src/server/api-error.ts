import { z } from 'zod';
import { OwmError } from '../errors.js';

/** An error a request caused or met, with the HTTP status it answers with. */
export class ApiError extends OwmError {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 500 | 503,
    message: string,
    options: { code?: string; param?: string } = {},
  ) {
    super(message, { code: options.code });
    this.param = options.param;
  }

  /** The request field at fault, when one is. */
  readonly param?: string;
}

/** HTTP status for each owm error code a request can meet; anything else is a 500. */
const STATUS_BY_CODE: Record<string, ApiError['status']> = {
  usage: 400,
  'invalid-sampling-option': 400,
  'context-overflow': 400,
  'bad-repo-id': 400,
  'chat-template-rejected': 400,
  'bad-chat-template': 400,
  'unknown-model': 404,
  'unknown-variant': 404,
  'not-found': 404,
  'not-pulled': 404,
  'not-cached': 404,
  'variant-missing': 404,
  'repo-not-found': 404,
  'revision-not-found': 404,
  'license-not-accepted': 403,
  gated: 403,
  'gated-no-access': 403,
  unauthorized: 401,
  'bad-token': 401,
  'queue-full': 503,
  unloaded: 503,
  cancelled: 503,
  unreachable: 503,
};

/** Turns anything thrown while serving a request into an ApiError whose message is safe to send (no stack, no paths of the server's code). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return fromZodError(error);
  if (error instanceof OwmError) return new ApiError(STATUS_BY_CODE[error.code] ?? 500, error.message, { code: error.code });
  return new ApiError(500, 'The server failed to answer this request; see its log.', { code: 'internal' });
}

/** A 400 naming the first invalid field, as `messages[0].role: ...`. */
export function fromZodError(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const param = issue?.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`)).join('') ?? '';
  const message = param ? `Invalid '${param}': ${issue?.message}.` : `Invalid request: ${issue?.message}.`;
  return new ApiError(400, message, { code: 'invalid_request', param: param || undefined });
}
