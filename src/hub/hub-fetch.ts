import { HubError } from '../errors.js';
import { hubErrorFromResponse, isPermanentNetworkFailure, isTransientStatus, unreachableError, type RequestContext } from './hub-error.js';
import { MAX_ATTEMPTS, waitBeforeRetry } from './retry-policy.js';

/** Called before a retry, so the CLI can say why it is waiting. */
export type RetryListener = (info: { attempt: number; reason: string }) => void;

/**
 * A `fetch` for Hub API calls (handed to @huggingface/hub): retries transient failures with
 * backoff and turns every failed response into a HubError that names the repo and the fix,
 * so callers never see a raw status code.
 */
export function createHubFetch(
  context: RequestContext,
  options: { signal?: AbortSignal; onRetry?: RetryListener } = {},
): typeof fetch {
  return async (input, init) => {
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(input, { ...init, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted || error instanceof HubError) throw error;
        if (attempt >= MAX_ATTEMPTS || isPermanentNetworkFailure(error)) throw unreachableError(context.endpoint, error);
        options.onRetry?.({ attempt, reason: 'connection failed' });
        await waitBeforeRetry(attempt, undefined, options.signal);
        continue;
      }
      if (response.ok) return response;
      if (isTransientStatus(response.status) && attempt < MAX_ATTEMPTS) {
        await response.body?.cancel();
        options.onRetry?.({ attempt, reason: `HTTP ${response.status}` });
        await waitBeforeRetry(attempt, response.headers.get('retry-after'), options.signal);
        continue;
      }
      throw hubErrorFromResponse(response, context);
    }
  };
}
