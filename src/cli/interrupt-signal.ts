import { InterruptedError } from '../errors.js';

/** An AbortSignal fired by Ctrl-C (SIGINT) or SIGTERM, with a way to stop listening. */
export interface InterruptSignal {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * Turns Ctrl-C into an abort, so downloads stop cleanly (partial files stay for resuming) and the
 * CLI exits 130 with one line instead of dying mid-write.
 */
export function interruptSignal(
  message = 'Interrupted: run the same command again to resume.',
): InterruptSignal {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new InterruptedError(message));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
