/** Exit codes shared by every command: 0 ok, 1 failure, 2 usage error, 130 interrupted. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/**
 * Every failure owm names, with the exit status the CLI ends with and the HTTP status `owm serve`
 * answers with: usage errors (what the user typed) exit 2, interruptions 130, the rest 1.
 */
const ERROR_TABLE = {
  failure: { exit: EXIT_FAILURE, http: 500 },
  usage: { exit: EXIT_USAGE, http: 400 },
  'invalid-sampling-option': { exit: EXIT_USAGE, http: 400 },
  'invalid-schema': { exit: EXIT_USAGE, http: 400 },
  'incomplete-output': { exit: EXIT_FAILURE, http: 500 },
  'tools-unsupported': { exit: EXIT_USAGE, http: 400 },
  'bad-repo-id': { exit: EXIT_USAGE, http: 400 },
  'unknown-model': { exit: EXIT_USAGE, http: 404 },
  'unknown-variant': { exit: EXIT_USAGE, http: 404 },
  'context-overflow': { exit: EXIT_FAILURE, http: 400 },
  'wrong-model-kind': { exit: EXIT_USAGE, http: 400 },
  interrupted: { exit: EXIT_INTERRUPTED, http: 503 },
  cancelled: { exit: EXIT_INTERRUPTED, http: 503 },
  'bad-chat-template': { exit: EXIT_FAILURE, http: 400 },
  'chat-template-rejected': { exit: EXIT_FAILURE, http: 400 },
  'not-found': { exit: EXIT_FAILURE, http: 404 },
  'not-pulled': { exit: EXIT_FAILURE, http: 404 },
  'not-cached': { exit: EXIT_FAILURE, http: 404 },
  'variant-missing': { exit: EXIT_FAILURE, http: 404 },
  'repo-not-found': { exit: EXIT_FAILURE, http: 404 },
  'revision-not-found': { exit: EXIT_FAILURE, http: 404 },
  'entry-not-found': { exit: EXIT_FAILURE, http: 404 },
  'license-not-accepted': { exit: EXIT_FAILURE, http: 403 },
  'license-declined': { exit: EXIT_FAILURE, http: 403 },
  gated: { exit: EXIT_FAILURE, http: 403 },
  'gated-no-access': { exit: EXIT_FAILURE, http: 403 },
  unauthorized: { exit: EXIT_FAILURE, http: 401 },
  'bad-token': { exit: EXIT_FAILURE, http: 401 },
  'queue-full': { exit: EXIT_FAILURE, http: 503 },
  unloaded: { exit: EXIT_FAILURE, http: 503 },
  unreachable: { exit: EXIT_FAILURE, http: 503 },
  'remote-error': { exit: EXIT_FAILURE, http: 502 },
  'download-failed': { exit: EXIT_FAILURE, http: 502 },
  'hub-unavailable': { exit: EXIT_FAILURE, http: 502 },
  'hub-error': { exit: EXIT_FAILURE, http: 502 },
  'hash-mismatch': { exit: EXIT_FAILURE, http: 502 },
  'lock-timeout': { exit: EXIT_FAILURE, http: 503 },
  'disk-full': { exit: EXIT_FAILURE, http: 507 },
  'cache-io': { exit: EXIT_FAILURE, http: 500 },
  'cache-permission': { exit: EXIT_FAILURE, http: 500 },
  'corrupt-cache': { exit: EXIT_FAILURE, http: 500 },
  'corrupt-state': { exit: EXIT_FAILURE, http: 500 },
  'state-io': { exit: EXIT_FAILURE, http: 500 },
  'unsafe-path': { exit: EXIT_FAILURE, http: 400 },
  'registry-clash': { exit: EXIT_FAILURE, http: 500 },
  'registry-invalid': { exit: EXIT_FAILURE, http: 500 },
  'registry-missing': { exit: EXIT_FAILURE, http: 500 },
  'registry-syntax': { exit: EXIT_FAILURE, http: 500 },
  'registry-unreadable': { exit: EXIT_FAILURE, http: 500 },
  'invalid-model-file': { exit: EXIT_FAILURE, http: 500 },
  'missing-files': { exit: EXIT_FAILURE, http: 500 },
  'missing-tokenizer': { exit: EXIT_FAILURE, http: 500 },
  'no-onnx-model': { exit: EXIT_FAILURE, http: 404 },
  'unsupported-graph': { exit: EXIT_FAILURE, http: 500 },
  'load-failed': { exit: EXIT_FAILURE, http: 500 },
  'not-optimizable': { exit: EXIT_FAILURE, http: 500 },
  'out-of-memory': { exit: EXIT_FAILURE, http: 507 },
  'cuda-unavailable': { exit: EXIT_FAILURE, http: 500 },
  runtime: { exit: EXIT_FAILURE, http: 500 },
  'port-in-use': { exit: EXIT_FAILURE, http: 500 },
  'listen-failed': { exit: EXIT_FAILURE, http: 500 },
} as const satisfies Record<string, { exit: number; http: number }>;

/** A stable machine-readable name of a failure, e.g. `gated-no-access`. */
export type ErrorCode = keyof typeof ERROR_TABLE;

/** The CLI's exit status for an error code. */
export function exitStatusOf(code: ErrorCode): number {
  return ERROR_TABLE[code].exit;
}

/** The HTTP status `owm serve` answers an error code with. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_TABLE[code].http;
}

/** True for a string that names one of owm's error codes (errors crossing a thread boundary arrive as strings). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_TABLE, value);
}

/** Options every owm error accepts. */
export interface OwmErrorOptions {
  /** @default failure */
  code?: ErrorCode;
  /** The error that caused this one, kept for `--debug`. */
  cause?: unknown;
}

/**
 * The one error type that reaches the user: its message is a complete sentence saying what
 * happened and what to do. The CLI prints it on one line and exits with its code's status.
 */
export class OwmError extends Error {
  readonly code: ErrorCode;

  constructor(message: string, options: OwmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'failure';
  }

  /** Process exit code when this error ends the CLI. */
  get exitCode(): number {
    return exitStatusOf(this.code);
  }
}

/** Bad flags, arguments or values typed by the user (exit code 2). */
export class UsageError extends OwmError {
  constructor(message: string, options: OwmErrorOptions = {}) {
    super(message, { code: 'usage', ...options });
  }
}

/** A problem with models.yaml or the user's registry file. */
export class RegistryError extends OwmError {}

/** A problem talking to the Hub or downloading from it. */
export class HubError extends OwmError {}

/** A problem with the local cache (permissions, disk space, corruption). */
export class CacheError extends OwmError {}

/** A problem loading or running a model. */
export class RuntimeError extends OwmError {}

/** The user interrupted the operation (Ctrl-C). */
export class InterruptedError extends OwmError {
  constructor(message = 'Interrupted.') {
    super(message, { code: 'interrupted' });
  }
}

/** Turns any thrown value into a message, for the rare places that must report foreign errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
