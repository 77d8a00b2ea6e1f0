import { spawn } from 'node:child_process';
import { spread, type Spread } from '../../src/runtime/measure-speed.js';

/** A command whose start-up is timed. */
export interface ColdCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Milliseconds from spawning `command` to the first byte on its stdout (the first token of a
 * one-token answer); the process must then exit 0. A process that prints nothing counts until it exits.
 */
export function timeToFirstByte(cold: ColdCommand): Promise<number> {
  const started = performance.now();
  const child = spawn(cold.command, cold.args, { env: cold.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let firstByteMs: number | undefined;
  let stderr = '';
  child.stdout.once('data', () => (firstByteMs = performance.now() - started));
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${cold.args.at(0) ?? cold.command} exited with code ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
      else resolve(firstByteMs ?? performance.now() - started);
    });
  });
}

/**
 * Cold start, `reps` times after one untimed run (which leaves the model's files in the page
 * cache, as a second `owm run` finds them).
 */
export async function measureColdStart(cold: ColdCommand, reps: number): Promise<Spread> {
  await timeToFirstByte(cold);
  const times: number[] = [];
  for (let rep = 0; rep < reps; rep++) times.push(await timeToFirstByte(cold));
  return spread(times);
}
