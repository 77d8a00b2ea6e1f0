import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerMeasurement, PeerRequest } from './peer-protocol.js';

/**
 * Runs `bench/peers/<script>` in a fresh Node process (so that its peak RSS is its own), passing
 * `request` as JSON; its progress goes to our stderr; resolves with the JSON line it prints.
 */
export function runPeerChild(script: string, request: PeerRequest): Promise<PeerMeasurement> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let parsed: (PeerMeasurement & { error?: undefined }) | { error: string } | undefined;
      try {
        parsed = JSON.parse(last) as PeerMeasurement | { error: string };
      } catch {
        parsed = undefined;
      }
      if (parsed && parsed.error === undefined && code === 0) resolve(parsed);
      else reject(new Error(parsed?.error ?? `${script} exited with ${signal ?? `code ${code}`}`));
    });
  });
}
