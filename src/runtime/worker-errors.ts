import { isErrorCode, OwmError, RuntimeError } from '../errors.js';
import type { SerializedError } from './worker-protocol.js';

/** An error as it crosses from a worker thread to the main thread (structured clone drops the class). */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof OwmError) return { message: error.message, code: error.code, owm: true };
  const err = error instanceof Error ? error : new Error(String(error));
  return { message: err.message, owm: false, stack: err.stack };
}

/**
 * The error again on the main thread: an OwmError keeps its message and code; anything else was
 * unexpected and says what failed (`what`: "Generation", "Embedding").
 */
export function deserializeError(error: SerializedError, what: string): Error {
  if (error.owm) return new OwmError(error.message, { code: isErrorCode(error.code) ? error.code : 'failure' });
  const rebuilt = new RuntimeError(`${what} failed: ${error.message}`, { code: 'runtime' });
  rebuilt.stack = error.stack;
  return rebuilt;
}
