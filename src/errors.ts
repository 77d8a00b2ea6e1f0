/** Exit codes shared by every command: 0 ok, 1 failure, 2 usage error, 130 interrupted. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Options every owm error accepts. */
export interface OwmErrorOptions {
  /** A stable machine-readable code, e.g. `gated-repo`. */
  code?: string;
  /** Process exit code when this error ends the CLI. */
  exitCode?: number;
  /** The error that caused this one, kept for `--debug`. */
  cause?: unknown;
}

/**
 * The one error type that reaches the user: its message is a complete sentence saying what
 * happened and what to do. The CLI prints it on one line and exits with `exitCode`.
 */
export class OwmError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(message: string, options: OwmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'failure';
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** Bad flags, arguments or values typed by the user (exit code 2). */
export class UsageError extends OwmError {
  constructor(message: string, options: Omit<OwmErrorOptions, 'exitCode'> = {}) {
    super(message, { code: 'usage', ...options, exitCode: EXIT_USAGE });
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
    super(message, { code: 'interrupted', exitCode: EXIT_INTERRUPTED });
  }
}

/** Turns any thrown value into a message, for the rare places that must report foreign errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
