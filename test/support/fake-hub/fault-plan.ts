/** The server endpoints a fault can be aimed at. */
export type FaultEndpoint = 'model-info' | 'tree' | 'paths-info' | 'resolve' | 'cdn';

/** What goes wrong. */
export type FaultAction =
  /** Answer this status instead (500, 503, 429 with `retryAfter` seconds, ...). */
  | { kind: 'status'; status: number; retryAfter?: number }
  /** Send `bytes` bytes of the body, then destroy the connection. */
  | { kind: 'drop-after'; bytes: number }
  /** Send a body of the right length with some bytes flipped. */
  | { kind: 'corrupt' }
  /** Send the body at this rate. */
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Send `bytes` bytes of the body, then hang without closing. */
  | { kind: 'stall-after'; bytes: number }
  /** Answer a range request with 200 and the whole body. */
  | { kind: 'ignore-range' };

/** Which requests a fault hits; every field given must match. */
export interface FaultTarget {
  /** `org/name`. */
  repo?: string;
  /** A repo file path; matches its resolve, raw and CDN requests. */
  path?: string;
  /** Limits the fault to one endpoint. */
  endpoint?: FaultEndpoint;
}

/** One fault to inject, `times` times (default 1; `Infinity` for ever). */
export type FaultSpec = FaultTarget & FaultAction & { times?: number };

/** A request the plan is asked about. */
export interface FaultQuery {
  endpoint: FaultEndpoint;
  repo?: string;
  path?: string;
}

/** A request that is about to send a body: its length and whether it asked for a range. */
export interface BodyFaultQuery extends FaultQuery {
  bodyLength: number;
  hasRange: boolean;
}

type BodyAction = Exclude<FaultAction, { kind: 'status' }>;

/**
 * The faults a test armed, consumed in the order they were added: status faults when a matching
 * request arrives, body faults when a matching request is about to stream a body. Body faults
 * skip HEAD requests and `bytes=0-0` probes, and a cut (drop/stall) skips bodies too short to cut.
 */
export class FaultPlan {
  private readonly armed: Array<FaultSpec & { left: number }> = [];

  /** Arms a fault. */
  add(fault: FaultSpec): void {
    const times = fault.times ?? 1;
    if (!(times > 0)) throw new Error('fake hub: a fault needs times > 0');
    this.armed.push({ ...fault, left: times });
  }

  /** Disarms every fault. */
  clear(): void {
    this.armed.length = 0;
  }

  /** The faults not yet used up, with how many uses each has left. */
  pending(): Array<FaultSpec & { left: number }> {
    return this.armed.map((fault) => ({ ...fault }));
  }

  /** Takes the next status fault for a request, if one is armed for it. */
  takeStatus(query: FaultQuery): { status: number; retryAfter?: number } | undefined {
    const fault = this.take((f) => f.kind === 'status' && targets(f, query));
    return fault?.kind === 'status' ? { status: fault.status, retryAfter: fault.retryAfter } : undefined;
  }

  /** Takes the next body fault for a body about to be sent, if one is armed for it. */
  takeBody(query: BodyFaultQuery): BodyAction | undefined {
    const fault = this.take((f) => {
      if (f.kind === 'status' || !targets(f, query)) return false;
      if (f.kind === 'drop-after' || f.kind === 'stall-after') return query.bodyLength > f.bytes;
      if (f.kind === 'ignore-range') return query.hasRange;
      return true;
    });
    return fault === undefined || fault.kind === 'status' ? undefined : fault;
  }

  private take(matches: (fault: FaultSpec) => boolean): FaultSpec | undefined {
    const index = this.armed.findIndex(matches);
    if (index < 0) return undefined;
    const fault = this.armed[index]!;
    if (--fault.left <= 0) this.armed.splice(index, 1);
    return fault;
  }
}

function targets(fault: FaultTarget, query: FaultQuery): boolean {
  return (
    (fault.repo === undefined || fault.repo === query.repo) &&
    (fault.path === undefined || fault.path === query.path) &&
    (fault.endpoint === undefined || fault.endpoint === query.endpoint)
  );
}
