import type { ChildProcess } from 'node:child_process';
import { startOwm, waitForOwm, type OwmResult } from './run-owm.js';

/** An `owm serve` child process on a free loopback port. */
export interface ServedOwm {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  log(): string;
  /** Resolves when the process ends. */
  exited: Promise<OwmResult>;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<OwmResult>;
}

/** Starts `owm serve --port 0 ...args` and waits until `/health` says ok. */
export async function serveOwm(args: string[], env: NodeJS.ProcessEnv): Promise<ServedOwm> {
  const child = startOwm(['serve', '--port', '0', ...args], env);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = waitForOwm(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`owm serve did not start: ${stderr}`)), 60_000);
    const onData = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stderr?.on('data', onData);
    void exited.then((result) => reject(new Error(`owm serve exited ${result.code}: ${stderr}`)));
  });
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const health = await fetch(`${url}/health`).catch(() => undefined);
    if (health?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    log: () => stderr,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
