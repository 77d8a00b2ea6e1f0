import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CacheError, HubError } from '../errors.js';
import { createContentHasher, expectedHash, hashFileInto } from './content-hash.js';
import { lockFile } from './file-lock.js';
import { asResponse, httpGet, type HttpAnswer } from './http-get.js';
import { hubErrorFromResponse, isPermanentNetworkFailure, isTransientStatus, networkReason, unreachableError, type RequestContext } from './hub-error.js';
import type { RetryListener } from './hub-fetch.js';
import { MAX_ATTEMPTS, waitBeforeRetry } from './retry-policy.js';
import type { RepoFile } from './types.js';

/** Default time without a single byte after which a transfer counts as stalled and is retried. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;

/** Everything needed to bring one file of a repo into the cache as a verified blob. */
export interface BlobDownload {
  /** The file's `resolve` URL on the Hub. */
  url: string;
  file: RepoFile;
  blobPath: string;
  incompletePath: string;
  lockPath: string;
  context: RequestContext;
  /** Sent only to the Hub's own origin, never to the CDN a file redirects to. */
  token?: string;
  signal?: AbortSignal;
  stallTimeoutMs?: number;
  /** Bytes of this file present so far (resumed bytes included). */
  onProgress?: (bytesDone: number) => void;
  onRetry?: RetryListener;
  /** Called once when another process holds the blob's lock. */
  onWaitForLock?: () => void;
}

/** Whether the blob was fetched now or was already in the cache. */
export type BlobOutcome = 'downloaded' | 'cached';

/** A transfer failure worth another attempt that resumes where the last one stopped. */
class TransientDownloadError extends Error {
  constructor(
    message: string,
    readonly retryAfter?: string | null,
  ) {
    super(message);
  }
}

/**
 * Downloads one file into `blobs/` the way huggingface_hub does — under the blob's lock, into
 * `<blob>.incomplete`, resuming it with a Range request, verifying size and hash, then renaming —
 * so a reader never sees a partial or unverified blob and an interrupted pull continues later.
 * Bytes that fail verification are deleted and fetched once more before giving up.
 */
export async function downloadBlob(download: BlobDownload): Promise<BlobOutcome> {
  if (await hasCompleteBlob(download)) return 'cached';
  await mkdir(path.dirname(download.blobPath), { recursive: true });
  // A blob another process is downloading may take long: wait as long as it makes progress.
  const lock = await lockFile(download.lockPath, {
    timeoutMs: Number.POSITIVE_INFINITY,
    pollMs: 100,
    signal: download.signal,
    onWait: download.onWaitForLock,
  });
  try {
    if (await hasCompleteBlob(download)) return 'cached';
    for (let verification = 1; ; verification++) {
      const digest = await transferWithRetries(download);
      if (digest === expectedHash(download.file)) break;
      await rm(download.incompletePath, { force: true });
      if (verification >= 2) {
        throw new HubError(
          `Downloaded bytes of '${download.file.path}' do not match the Hub's hash twice (expected ${expectedHash(download.file)}, got ${digest}): the download was deleted; try again later or report it to the repo owner.`,
          { code: 'hash-mismatch' },
        );
      }
      download.onRetry?.({ attempt: verification, reason: 'hash mismatch, downloading again' });
    }
    await rename(download.incompletePath, download.blobPath);
    download.onProgress?.(download.file.size);
    return 'downloaded';
  } finally {
    lock.release();
  }
}

async function hasCompleteBlob(download: BlobDownload): Promise<boolean> {
  const size = await fileSize(download.blobPath);
  if (size === download.file.size) {
    download.onProgress?.(size);
    return true;
  }
  return false;
}

async function fileSize(filePath: string): Promise<number | undefined> {
  try {
    return (await stat(filePath)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Runs transfer attempts, each resuming from the partial file, until one completes; returns the digest. */
async function transferWithRetries(download: BlobDownload): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transferOnce(download);
    } catch (error) {
      if (download.signal?.aborted) throw download.signal.reason ?? error;
      if (!(error instanceof TransientDownloadError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new HubError(
          `Downloading '${download.file.path}' failed ${attempt} times (${error.message}): run the pull again to resume it.`,
          { code: 'download-failed', cause: error },
        );
      }
      download.onRetry?.({ attempt, reason: error.message });
      await waitBeforeRetry(attempt, error.retryAfter, download.signal);
    }
  }
}

async function transferOnce(download: BlobDownload): Promise<string> {
  const { file, incompletePath } = download;
  let offset = (await fileSize(incompletePath)) ?? 0;
  if (offset > file.size) {
    await truncate(incompletePath, 0);
    offset = 0;
  }
  const hasher = createContentHasher(file);
  if (offset === file.size) {
    await hashFileInto(hasher, incompletePath);
    return hasher.digest();
  }

  const stall = new AbortController();
  const signal = download.signal ? AbortSignal.any([download.signal, stall.signal]) : stall.signal;
  const response = await requestFrom(download, offset, signal);
  if (response.status === 200 && offset > 0) offset = 0; // The server ignored the Range: start over.
  if (offset > 0) await hashFileInto(hasher, incompletePath, offset);
  download.onProgress?.(offset);

  const stallTimeoutMs = download.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  let timer = setTimeout(() => stall.abort(), stallTimeoutMs);
  let written = offset;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(), stallTimeoutMs);
      written += chunk.length;
      if (written > file.size) {
        callback(new TransientDownloadError('the server sent more bytes than the file has'));
        return;
      }
      hasher.update(chunk);
      download.onProgress?.(written);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      response.body,
      meter,
      createWriteStream(incompletePath, { flags: offset > 0 ? 'r+' : 'w', start: offset, highWaterMark: 1 << 20 }),
    );
  } catch (error) {
    throw asTransferError(error, download, stall.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
  if (written < file.size) throw new TransientDownloadError(`connection closed after ${written} of ${file.size} bytes`);
  return hasher.digest();
}

function asTransferError(error: unknown, download: BlobDownload, stalled: boolean): unknown {
  if (download.signal?.aborted) return download.signal.reason ?? error;
  if (stalled) return new TransientDownloadError('no data received for too long');
  if (error instanceof TransientDownloadError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') {
    return new CacheError(
      `The disk is full while writing ${download.incompletePath}: free some space and run the pull again to resume.`,
      { code: 'disk-full', cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new CacheError(
      `Cannot write ${download.incompletePath} (${code}): fix the cache folder's permissions or set HF_HUB_CACHE to a folder you own.`,
      { code: 'cache-permission', cause: error },
    );
  }
  return new TransientDownloadError(`connection lost (${describe(error)})`);
}

function describe(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** GETs the file from `offset`, following redirects by hand so the token stays on the Hub's origin. */
async function requestFrom(download: BlobDownload, offset: number, signal: AbortSignal): Promise<HttpAnswer> {
  const hubOrigin = new URL(download.context.endpoint).origin;
  let url = download.url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    if (download.token && new URL(url).origin === hubOrigin) headers.Authorization = `Bearer ${download.token}`;
    let answer: HttpAnswer;
    try {
      answer = await httpGet(url, headers, signal);
    } catch (error) {
      if (download.signal?.aborted) throw download.signal.reason ?? error;
      if (signal.aborted) throw new TransientDownloadError('no answer from the server');
      if (isPermanentNetworkFailure(error)) throw unreachableError(download.context.endpoint, error);
      throw new TransientDownloadError(`connection failed (${networkReason(error) ?? describe(error)})`);
    }
    const { status } = answer;
    if (status >= 300 && status < 400 && answer.headers.has('location')) {
      answer.body.resume();
      url = new URL(answer.headers.get('location') as string, url).toString();
      continue;
    }
    if (status === 200 || status === 206) {
      if (status === 206 && !rangeStartsAt(answer.headers, offset)) {
        answer.body.destroy();
        throw new TransientDownloadError('the server answered a different byte range');
      }
      return answer;
    }
    const response = asResponse(answer);
    if (status === 416 && offset > 0) {
      await truncate(download.incompletePath, 0);
      throw new TransientDownloadError('the partial file was longer than the server copy');
    }
    if (isTransientStatus(status)) {
      throw new TransientDownloadError(`HTTP ${status}`, response.headers.get('retry-after'));
    }
    throw hubErrorFromResponse(response, { ...download.context, path: download.file.path });
  }
  throw new HubError(`Too many redirects while downloading '${download.file.path}': check HF_ENDPOINT.`);
}

function rangeStartsAt(headers: Headers, offset: number): boolean {
  const match = /^bytes (\d+)-/.exec(headers.get('content-range') ?? '');
  return match !== null && Number(match[1]) === offset;
}
