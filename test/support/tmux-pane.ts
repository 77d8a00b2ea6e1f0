import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs a tmux command and returns what it printed. */
export function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** True when tmux is installed, so terminal tests can run. */
export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The screen and scrollback of a session's pane, wrapped lines joined. */
export function paneText(session: string): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
}

/** Waits until the pane shows `pattern`; fails with the screen when it does not in time. */
export async function waitForPane(session: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = paneText(session);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${pattern}; screen:\n${text}`);
    await sleep(100);
  }
}
