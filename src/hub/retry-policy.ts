import { setTimeout as sleep } from 'node:timers/promises';

/** How many times one request or download is tried before its error is final. */
export const MAX_ATTEMPTS = 5;

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before attempt `attempt + 1`: the server's Retry-After when it gave one
 * (capped at a minute), otherwise exponential backoff with jitter.
 */
export function retryDelayMs(attempt: number, retryAfter?: string | null): number {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
  }
  const exponential = Math.min(BASE_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
  return exponential * (0.75 + Math.random() * 0.5);
}

/** Waits before the next attempt; an abort ends the wait at once. */
export async function waitBeforeRetry(
  attempt: number,
  retryAfter: string | null | undefined,
  signal?: AbortSignal,
): Promise<void> {
  await sleep(retryDelayMs(attempt, retryAfter), undefined, { signal });
}
