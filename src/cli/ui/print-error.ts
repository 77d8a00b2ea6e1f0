import { OwmError } from '../../errors.js';

/** Prints an error as one `error: ...` line on stderr; the stack only for unexpected errors under --debug. */
export function printError(error: unknown, debug: boolean, stream: NodeJS.WritableStream = process.stderr): void {
  if (error instanceof OwmError) {
    stream.write(`error: ${error.message}\n`);
    if (debug && error.cause instanceof Error) stream.write(`${error.cause.stack ?? error.cause.message}\n`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  stream.write(`error: ${message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) stream.write(`${error.stack}\n`);
}
