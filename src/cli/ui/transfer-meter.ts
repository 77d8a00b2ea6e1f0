import type { PullEvent } from '../../hub/pull-snapshot.js';

const SPEED_WINDOW_MS = 5_000;

/** One file being transferred. */
export interface FileProgress {
  path: string;
  size: number;
  bytesDone: number;
  /** Bytes it already had when this run first reported it (a resumed partial file, a cached blob). */
  bytesBefore: number;
}

/**
 * Turns a pull's events into totals, speed and ETA; pure bookkeeping shared by the animated
 * and the plain renderer.
 */
export class TransferMeter {
  readonly active = new Map<string, FileProgress>();
  totalBytes = 0;
  /** Bytes the plan said were missing: 0 for a pull with nothing to do. */
  bytesToDownload?: number;
  private doneBytes = 0;
  /** Bytes of finished files that were transferred in this run. */
  private doneTransferred = 0;
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Feeds one event; returns the file it concerned, if any. */
  update(event: PullEvent): void {
    switch (event.type) {
      case 'plan':
        this.totalBytes = event.plan.totalBytes;
        this.bytesToDownload = event.plan.bytesToDownload;
        break;
      case 'file-progress': {
        const file = this.active.get(event.path) ?? { path: event.path, size: event.size, bytesDone: event.bytesDone, bytesBefore: event.bytesDone };
        file.bytesDone = event.bytesDone;
        this.active.set(event.path, file);
        break;
      }
      case 'file-done': {
        const file = this.active.get(event.path);
        this.doneBytes += file?.size ?? 0;
        if (file) this.doneTransferred += file.size - file.bytesBefore;
        this.active.delete(event.path);
        break;
      }
      default:
        break;
    }
    this.sample();
  }

  /** Bytes of the selected files present so far. */
  get completedBytes(): number {
    let bytes = this.doneBytes;
    for (const file of this.active.values()) bytes += file.bytesDone;
    return bytes;
  }

  /** Bytes transferred in this run: what resumed files and cached blobs already had does not count. */
  get transferredBytes(): number {
    let bytes = this.doneTransferred;
    for (const file of this.active.values()) bytes += file.bytesDone - file.bytesBefore;
    return bytes;
  }

  /** Transfer rate over the last few seconds, in bytes per second (of bytes transferred, not found on disk). */
  get bytesPerSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? (last.bytes - first.bytes) / seconds : 0;
  }

  /** Seconds left at the current rate, or undefined while the rate is unknown. */
  get etaSeconds(): number | undefined {
    const rate = this.bytesPerSecond;
    return rate > 0 ? Math.max(0, (this.totalBytes - this.completedBytes) / rate) : undefined;
  }

  private sample(): void {
    const at = this.now();
    this.samples.push({ at, bytes: this.transferredBytes });
    while (this.samples.length > 2 && at - this.samples[0].at > SPEED_WINDOW_MS) this.samples.shift();
  }
}

/** `125` → `2m05s`; undefined → `?`. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
