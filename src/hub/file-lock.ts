import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheError } from '../errors.js';

interface FsExt {
  flockSync(fd: number, flags: 'exnb'): void;
}

// fs-ext is CommonJS without type declarations; this is the one function owm needs from it.
const fsExt = createRequire(import.meta.url)('fs-ext') as FsExt;

/** An exclusive flock(2) on a lock file, the kind huggingface_hub's filelock takes on Unix. */
export interface FileLock {
  /** The lock file's path. */
  readonly path: string;
  /** Lets go of the lock; safe to call twice. */
  release(): void;
}

/** Options for waiting on a lock another process holds. */
export interface LockFileOptions {
  /** Give up after this long. @default 60_000 */
  timeoutMs?: number;
  /** Time between attempts. @default 25 */
  pollMs?: number;
  /** Stops waiting when aborted. */
  signal?: AbortSignal;
  /** Called once, when the lock turns out to be held by someone else. */
  onWait?: () => void;
}

/** Takes the lock at once, or returns undefined when another process or handle holds it. */
export function tryLockFile(lockPath: string): FileLock | undefined {
  mkdirSync(path.dirname(lockPath), { recursive: true });
  // 'a' creates the file without truncating it; the lock file's content is never used.
  const fd = openSync(lockPath, 'a');
  try {
    fsExt.flockSync(fd, 'exnb');
  } catch (error) {
    closeSync(fd);
    if (isWouldBlock(error)) return undefined;
    throw error;
  }
  let held = true;
  return {
    path: lockPath,
    release() {
      if (!held) return;
      held = false;
      // Closing the only descriptor of the open file drops its flock.
      closeSync(fd);
    },
  };
}

/**
 * Waits for the lock by polling rather than a blocking flock, so that a waiter never ties up
 * the event loop or a libuv thread the holder in the same process may need.
 */
export async function lockFile(lockPath: string, options: LockFileOptions = {}): Promise<FileLock> {
  const { timeoutMs = 60_000, pollMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const lock = tryLockFile(lockPath);
    if (lock) return lock;
    if (attempt === 0) options.onWait?.();
    options.signal?.throwIfAborted();
    if (Date.now() >= deadline) {
      throw new CacheError(
        `Timed out waiting for the lock ${lockPath}; if no other owm or Python download is running, delete that file and retry.`,
        { code: 'lock-timeout' },
      );
    }
    await sleep(pollMs + Math.floor(Math.random() * pollMs));
  }
}

function isWouldBlock(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK';
}
