import { OwmError } from '../errors.js';
import { commonPrefixLength } from './common-prefix-length.js';

/** One sequence the model holds: its KV cache lives in the worker; the ids it caches are tracked here to pick it again. */
interface Slot {
  index: number;
  /** The ids whose rows the slot's cache (about) holds: the last prompt and its reply. */
  ids: readonly number[];
  busy: boolean;
  lastUsed: number;
}

interface Waiter {
  promptIds: readonly number[];
  resolve(slot: number): void;
  reject(error: unknown): void;
}

/** A request let in by `SlotPool.admit`: it waits for a slot, holds it, and gives it back once. */
export interface SlotTicket {
  /** Waits for a free slot (the one whose cache shares the longest prefix with `promptIds`); rejects when `signal` aborts first. */
  acquire(promptIds: readonly number[], signal?: AbortSignal): Promise<number>;
  /** Gives the slot back (recording what its cache now holds), or leaves the queue; safe to call twice. */
  release(cachedIds?: readonly number[]): void;
}

/**
 * The sequences a model holds at once, and the requests waiting for one: `size` slots, at most
 * `maxQueue` waiting; past that a request is refused at once instead of piling up. A free slot
 * goes to the oldest waiter, and a request prefers the slot whose cache already holds the
 * longest start of its prompt (a chat client resends the whole conversation each turn), else the
 * least recently used one, as llama.cpp's server chooses.
 */
export class SlotPool {
  private readonly slots: Slot[];
  private readonly waiting: Waiter[] = [];
  private admitted = 0;
  private closedWith?: Error;
  private clock = 0;

  constructor(
    size: number,
    private readonly maxQueue: number,
  ) {
    this.slots = Array.from({ length: size }, (_, index) => ({ index, ids: [], busy: false, lastUsed: 0 }));
  }

  /** Requests holding a slot. */
  get running(): number {
    return this.slots.filter((slot) => slot.busy).length;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Lets a request in, or throws a `queue-full` error when every slot is taken and the queue is full. */
  admit(): SlotTicket {
    if (this.closedWith) throw this.closedWith;
    if (this.admitted >= this.slots.length + this.maxQueue) {
      throw new OwmError(
        `The model is busy: ${this.slots.length} request(s) running and ${this.maxQueue} waiting. Try again shortly, or raise --parallel / --max-queue.`,
        { code: 'queue-full' },
      );
    }
    this.admitted++;
    let slot: number | undefined;
    let released = false;
    let waiter: Waiter | undefined;
    return {
      acquire: (promptIds, signal) => {
        if (this.closedWith) return Promise.reject(this.closedWith);
        if (signal?.aborted) return Promise.reject(cancelled(signal));
        const free = this.bestFreeSlot(promptIds);
        if (free !== undefined && this.waiting.length === 0) {
          slot = this.take(free);
          return Promise.resolve(slot);
        }
        return new Promise<number>((resolve, reject) => {
          const onAbort = (): void => {
            this.waiting.splice(this.waiting.indexOf(waiter as Waiter), 1);
            reject(cancelled(signal as AbortSignal));
          };
          waiter = {
            promptIds,
            resolve: (index) => {
              signal?.removeEventListener('abort', onAbort);
              slot = index;
              resolve(index);
            },
            reject: (error) => {
              signal?.removeEventListener('abort', onAbort);
              reject(error);
            },
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          this.waiting.push(waiter);
        });
      },
      release: (cachedIds) => {
        if (released) return;
        released = true;
        this.admitted--;
        const index = this.waiting.indexOf(waiter as Waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        if (slot === undefined) return;
        const held = this.slots[slot] as Slot;
        held.busy = false;
        if (cachedIds) held.ids = cachedIds;
        this.serveNext();
      },
    };
  }

  /** Refuses every request from now on with `error`, and fails the waiting ones with it. */
  close(error: Error): void {
    this.closedWith = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }

  private serveNext(): void {
    const next = this.waiting[0];
    if (!next) return;
    const free = this.bestFreeSlot(next.promptIds);
    if (free === undefined) return;
    this.waiting.shift();
    next.resolve(this.take(free));
  }

  private take(index: number): number {
    const slot = this.slots[index] as Slot;
    slot.busy = true;
    slot.lastUsed = ++this.clock;
    return index;
  }

  private bestFreeSlot(promptIds: readonly number[]): number | undefined {
    let best: Slot | undefined;
    let bestShared = -1;
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const shared = commonPrefixLength(slot.ids, promptIds);
      const better = shared > bestShared || (shared === bestShared && best !== undefined && slot.lastUsed < best.lastUsed);
      if (better) {
        best = slot;
        bestShared = shared;
      }
    }
    return best?.index;
  }
}

function cancelled(signal: AbortSignal): unknown {
  return signal.reason ?? new OwmError('The request was cancelled before it started.', { code: 'cancelled' });
}
