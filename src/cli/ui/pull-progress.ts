import cliProgress from 'cli-progress';
import { resolveOwmEnvironment } from '../../config.js';
import { canAnimate } from './can-animate.js';
import type { PullEvent } from '../../hub/pull-snapshot.js';
import { formatBytes } from '../../format-bytes.js';
import { TransferMeter, formatDuration } from './transfer-meter.js';

/** Shows a pull's progress on stderr; `stop()` is safe to call twice, and events after it show again. */
export interface PullProgress {
  onEvent(event: PullEvent): void;
  /** Prints a line above the bars (or as is, when not animated). */
  log(line: string): void;
  stop(): void;
}

/** How progress is shown: bars on a terminal, periodic plain lines otherwise, or nothing. */
export type ProgressMode = 'bars' | 'lines' | 'quiet';

/** Chooses the mode from `--quiet` and whether stderr is a terminal that reports its width. */
export function progressMode(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (quiet) return 'quiet';
  return canAnimate(stream) ? 'bars' : 'lines';
}

/** Creates the renderer for `mode`. */
export function createPullProgress(mode: ProgressMode, label: string, stream: NodeJS.WriteStream = process.stderr): PullProgress {
  if (mode === 'quiet') return { onEvent: () => {}, log: () => {}, stop: () => {} };
  return mode === 'bars' ? new BarProgress(label, stream) : new LineProgress(label, stream);
}

function totalLine(meter: TransferMeter): string {
  const percent = meter.totalBytes > 0 ? Math.floor((meter.completedBytes / meter.totalBytes) * 100) : 100;
  return `${percent}% ${formatBytes(meter.completedBytes)}/${formatBytes(meter.totalBytes)}, ${formatBytes(meter.bytesPerSecond)}/s, ETA ${formatDuration(meter.etaSeconds)}`;
}

function retryLine(event: Extract<PullEvent, { type: 'retry' }>): string {
  return `retrying${event.path ? ` ${event.path}` : ''} (attempt ${event.attempt + 1}): ${event.reason}`;
}

/** Periodic plain lines, for logs and pipes: no cursor movement, no carriage returns. */
class LineProgress implements PullProgress {
  private readonly meter = new TransferMeter();
  private lastPrint = 0;
  private readonly intervalMs = resolveOwmEnvironment().progressIntervalMs;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  onEvent(event: PullEvent): void {
    this.meter.update(event);
    if (event.type === 'plan') {
      const { plan } = event;
      this.log(
        plan.bytesToDownload === 0
          ? `${this.label} is already pulled (${plan.repo}@${plan.commit.slice(0, 8)}, variant ${plan.variant}, ${plan.files.length} files, ${formatBytes(plan.totalBytes)})`
          : `pulling ${this.label} (${plan.repo}@${plan.commit.slice(0, 8)}, variant ${plan.variant}, ${plan.files.length} files, ${formatBytes(plan.totalBytes)}, ${formatBytes(plan.bytesToDownload)} to download)`,
      );
    } else if (this.meter.bytesToDownload === 0) {
      // Nothing to download: no progress to report.
    } else if (event.type === 'retry') {
      this.log(retryLine(event));
    } else if (event.type === 'waiting-for-lock') {
      this.log(`waiting for another download of ${event.path} to finish`);
    } else if (event.type === 'file-progress' && Date.now() - this.lastPrint >= this.intervalMs) {
      this.lastPrint = Date.now();
      this.log(`${this.label}: ${totalLine(this.meter)}`);
    }
  }

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

/**
 * One animated bar per active file plus a total, redrawn in place on a terminal. `stop()` takes
 * the bars down (before a prompt, and at the end); later events draw them again.
 */
class BarProgress implements PullProgress {
  private readonly meter = new TransferMeter();
  private multibar?: cliProgress.MultiBar;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private total?: cliProgress.SingleBar;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  onEvent(event: PullEvent): void {
    this.meter.update(event);
    if (event.type === 'plan' && event.plan.bytesToDownload === 0) this.log(`${this.label} is already pulled (variant ${event.plan.variant})`);
    // A pull with nothing to download checks its files without drawing bars.
    if (this.meter.bytesToDownload === 0) return;
    switch (event.type) {
      case 'file-progress': {
        const multibar = this.start();
        let bar = this.bars.get(event.path);
        if (!bar) {
          bar = multibar.create(Math.max(1, event.size), 0, { name: pad(event.path), info: '' });
          this.bars.set(event.path, bar);
        }
        bar.update(event.bytesDone, { info: `${formatBytes(event.bytesDone)}/${formatBytes(event.size)}` });
        break;
      }
      case 'file-done': {
        const bar = this.bars.get(event.path);
        if (bar) this.multibar?.remove(bar);
        this.bars.delete(event.path);
        break;
      }
      case 'retry':
        this.log(retryLine(event));
        break;
      case 'waiting-for-lock':
        this.log(`waiting for another download of ${event.path} to finish`);
        break;
      default:
        break;
    }
    this.total?.update(this.meter.completedBytes, { info: totalLine(this.meter) });
  }

  log(line: string): void {
    if (this.multibar) this.multibar.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  stop(): void {
    this.multibar?.stop();
    this.multibar = undefined;
    this.total = undefined;
    this.bars.clear();
  }

  private start(): cliProgress.MultiBar {
    if (this.multibar) return this.multibar;
    const multibar = new cliProgress.MultiBar(
      { stream: this.stream, format: '{name} {bar} {info}', barsize: 24, hideCursor: true, clearOnComplete: true, autopadding: true, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    this.total = multibar.create(Math.max(1, this.meter.totalBytes), 0, { name: pad(this.label), info: '' });
    this.multibar = multibar;
    return multibar;
  }
}

function pad(name: string): string {
  const width = 28;
  return name.length > width ? `…${name.slice(-(width - 1))}` : name.padEnd(width);
}
