import { createReadStream } from 'node:fs';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseByteRange } from './byte-range.js';
import type { BodyFaultQuery, FaultPlan } from './fault-plan.js';
import type { FileSource } from './repo-store.js';

const CHUNK_SIZE = 64 * 1024;

/** What to serve and how to look up faults for it. */
export interface BodyToSend {
  source: FileSource;
  size: number;
  /** Headers besides the length and range ones (ETag, Content-Type, ...). */
  headers: OutgoingHttpHeaders;
  faults: FaultPlan;
  fault: Omit<BodyFaultQuery, 'bodyLength' | 'hasRange'>;
}

/**
 * Answers a GET or HEAD for some bytes: honours `Range` (206 + Content-Range, 416 past the end),
 * and applies the next matching body fault (cut, stall, throttle, corrupt, ignore the range).
 */
export async function sendBody(req: IncomingMessage, res: ServerResponse, body: BodyToSend): Promise<void> {
  const rangeHeader = req.headers.range;
  let range = parseByteRange(rangeHeader, body.size);
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...body.headers, 'Content-Range': `bytes */${body.size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const isProbe = range.kind === 'part' && range.start === 0 && range.end === 0;
  const fault =
    req.method === 'GET' && !isProbe
      ? body.faults.takeBody({
          ...body.fault,
          bodyLength: range.kind === 'part' ? range.end - range.start + 1 : body.size,
          hasRange: rangeHeader !== undefined,
        })
      : undefined;
  if (fault?.kind === 'ignore-range') range = { kind: 'whole' };

  const start = range.kind === 'part' ? range.start : 0;
  const end = range.kind === 'part' ? range.end : body.size - 1;
  const headers: OutgoingHttpHeaders = {
    ...body.headers,
    'Accept-Ranges': 'bytes',
    'Content-Length': end - start + 1,
  };
  if (range.kind === 'part') headers['Content-Range'] = `bytes ${start}-${end}/${body.size}`;
  res.writeHead(range.kind === 'part' ? 206 : 200, headers);
  if (req.method === 'HEAD' || end < start) {
    res.end();
    return;
  }

  let chunks = readChunks(body.source, start, end);
  if (fault?.kind === 'corrupt') chunks = corrupt(chunks, end - start + 1);
  if (fault?.kind === 'throttle') chunks = throttle(chunks, fault.bytesPerSecond, res);
  const cutAt = fault?.kind === 'drop-after' || fault?.kind === 'stall-after' ? fault.bytes : Infinity;

  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  let sent = 0;
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    const piece = sent + chunk.length > cutAt ? chunk.subarray(0, cutAt - sent) : chunk;
    sent += piece.length;
    // Waiting for each write keeps memory flat and lets a cut land exactly after `bytes`.
    await Promise.race([new Promise<void>((resolve) => res.write(piece, () => resolve())), closed]);
    if (sent >= cutAt) break;
  }
  if (fault?.kind === 'drop-after') res.destroy();
  // A stalled body is left open on purpose: the client must notice; close() ends it.
  else if (fault?.kind !== 'stall-after') res.end();
}

async function* readChunks(source: FileSource, start: number, end: number): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let offset = start; offset <= end; offset += CHUNK_SIZE) {
      yield source.subarray(offset, Math.min(offset + CHUNK_SIZE, end + 1));
    }
    return;
  }
  for await (const chunk of createReadStream(source.fromFile, { start, end, highWaterMark: 1 << 20 })) {
    yield chunk as Buffer;
  }
}

/** Flips the first byte and the middle byte of the body, keeping its length. */
async function* corrupt(chunks: AsyncIterable<Uint8Array>, length: number): AsyncGenerator<Uint8Array> {
  const targets = new Set([0, Math.floor(length / 2)]);
  let offset = 0;
  for await (const chunk of chunks) {
    const copy = Buffer.from(chunk);
    for (const target of targets) {
      if (target >= offset && target < offset + copy.length) copy[target - offset]! ^= 0xff;
    }
    offset += copy.length;
    yield copy;
  }
}

async function* throttle(
  chunks: AsyncIterable<Uint8Array>,
  bytesPerSecond: number,
  res: ServerResponse,
): AsyncGenerator<Uint8Array> {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; offset += slice) {
      if (res.destroyed) return;
      const piece = chunk.subarray(offset, offset + slice);
      yield piece;
      await sleep((piece.length / bytesPerSecond) * 1000);
    }
  }
}
