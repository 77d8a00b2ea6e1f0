import ora from 'ora';

/** A status line on stderr while something runs: a spinner on a terminal, plain lines otherwise. */
export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** Starts a spinner; with `silent`, or when stderr is not a terminal, updates become plain lines (or nothing). */
export function startSpinner(text: string, silent: boolean): Spinner {
  if (silent) return { update: () => {}, stop: () => {} };
  if (!process.stderr.isTTY) {
    return { update: (line) => process.stderr.write(`${line}\n`), stop: () => {} };
  }
  const spinner = ora({ text, stream: process.stderr }).start();
  return {
    update: (line) => {
      spinner.text = line;
    },
    stop: () => spinner.stop(),
  };
}
