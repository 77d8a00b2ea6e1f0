import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo's `bin/owm.js`, run exactly as a user's shell runs it. */
export const OWM_BIN = fileURLToPath(new URL('../../bin/owm.js', import.meta.url));

/** What a finished owm process left behind. */
export interface OwmResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** An isolated home for one test: its own HF cache and owm state, pointed at a fake hub. */
export interface OwmSandbox {
  root: string;
  env: NodeJS.ProcessEnv;
}

/** Creates a temp folder holding a cache and owm's state, with an environment that uses them. */
export async function createSandbox(hubUrl?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<OwmSandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'owm-test-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: root,
    HF_HOME: path.join(root, 'hf'),
    OWM_HOME: path.join(root, 'owm'),
    OWM_PROGRESS_INTERVAL_MS: '200',
    ...(hubUrl ? { HF_ENDPOINT: hubUrl } : {}),
    ...extraEnv,
  };
  return { root, env };
}

/** The hub cache a sandbox environment points owm at ($HF_HOME/hub). */
export function hubCacheOf(env: NodeJS.ProcessEnv): string {
  return path.join(env.HF_HOME as string, 'hub');
}

/** Starts owm with `args`; `input` is written to stdin (stdin is closed either way). */
export function startOwm(args: string[], env: NodeJS.ProcessEnv, input?: string): ChildProcess {
  const child = spawn(process.execPath, [OWM_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end(input);
  return child;
}

/** Collects a started process's output until it exits. */
export function waitForOwm(child: ChildProcess): Promise<OwmResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs owm to completion. */
export function runOwm(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<OwmResult> {
  return waitForOwm(startOwm(args, env, input));
}
