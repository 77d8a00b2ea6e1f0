import ora from 'ora';

/** A spinner on stderr while something loads; does nothing when stderr is not a terminal. */
export function startSpinner(text: string, silent: boolean): { stop(): void } {
  if (silent || !process.stderr.isTTY) return { stop: () => {} };
  const spinner = ora({ text, stream: process.stderr }).start();
  return { stop: () => spinner.stop() };
}
