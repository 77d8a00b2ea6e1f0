import { RuntimeError } from '../../errors.js';

const CODE = 'not-optimizable';

/** The error the optimizer's steps throw when a graph does not fit the rewrite; `optimizeModel` turns it into a skip. */
export function notOptimizable(reason: string): RuntimeError {
  return new RuntimeError(reason, { code: CODE });
}

/** True for errors made by `notOptimizable`. */
export function isNotOptimizable(error: unknown): error is RuntimeError {
  return error instanceof RuntimeError && error.code === CODE;
}
