import type { Ora } from 'ora';
import { canAnimate } from './can-animate.js';

/** A status line on stderr while something runs: a spinner on a terminal, plain lines otherwise. */
export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** Starts a spinner; with `silent`, or when stderr is not a terminal, updates become plain lines (or nothing). */
export function startSpinner(text: string, silent: boolean): Spinner {
  if (silent) return { update: () => {}, stop: () => {} };
  if (!canAnimate()) {
    return { update: (line) => process.stderr.write(`${line}\n`), stop: () => {} };
  }
  // ora is imported on demand, only for terminals: a piped run does not pay for loading it.
  let current = text;
  let stopped = false;
  let spinner: Ora | undefined;
  void import('ora').then(({ default: ora }) => {
    if (!stopped) spinner = ora({ text: current, stream: process.stderr }).start();
  });
  return {
    update: (line) => {
      current = line;
      if (spinner) spinner.text = line;
    },
    stop: () => {
      stopped = true;
      spinner?.stop();
    },
  };
}
