import type { Spread } from '../../src/runtime/measure-speed.js';
import type { PreparedModel } from '../prepare-model.js';
import type { MeasurePlan, PeerMeasurement } from './peer-protocol.js';

/** Which implementation a column is about. */
export type PeerId = 'owm-cli' | 'owm-api' | 'transformers-js' | 'floor' | 'llama-cpp';

/** What a peer runner measures: one model, one plan, the same threads for everyone. */
export interface PeerTarget {
  prepared: PreparedModel;
  threads: number;
  plan: MeasurePlan;
  /** Fresh processes timed for the cold time to first token (0: skip). */
  coldReps: number;
  /** The text prompt of the cold runs (fed raw, without a chat template). */
  coldPrompt: string;
  /** Repetitions of the chat's second turn (owm API only; none when absent). */
  chatTurnReps?: number;
}

/** One peer's numbers on one model, or why it has none. */
export interface PeerReport {
  peer: PeerId;
  measurement?: PeerMeasurement;
  /** Why `measurement` is missing (not applicable, or the error it failed with). */
  reason?: string;
  /** Spawn to first byte on stdout of a one-token answer. */
  coldTtftMs?: Spread;
  coldReason?: string;
  /** Why the chart-only contexts are missing, when they failed. */
  chartReason?: string;
  /** Seconds this peer took, cold starts included. */
  wallSeconds: number;
}

/** Runs `measure` and `cold`, turning each failure into a reason instead of an exception. */
export async function reportPeer(
  peer: PeerId,
  measure: (() => Promise<PeerMeasurement>) | { leftOut: string },
  cold?: () => Promise<Spread>,
): Promise<PeerReport> {
  const started = performance.now();
  const report: PeerReport = { peer, wallSeconds: 0 };
  if ('leftOut' in measure) {
    report.reason = measure.leftOut;
  } else {
    try {
      report.measurement = await measure();
    } catch (error) {
      report.reason = firstLine(error);
    }
  }
  if (cold) {
    try {
      report.coldTtftMs = await cold();
    } catch (error) {
      report.coldReason = firstLine(error);
    }
  }
  report.wallSeconds = (performance.now() - started) / 1000;
  return report;
}

/** A peer that does not apply to this model. */
export function notApplicable(peer: PeerId, reason: string): PeerReport {
  return { peer, reason, coldReason: reason, wallSeconds: 0 };
}

/**
 * Adds the decode runs of a second, chart-only measurement to `report`, keeping the table plan's
 * peak RSS and load time (the chart run's peak goes into the notes).
 */
export function mergeChartRuns(report: PeerReport, chart: PeerReport): void {
  report.wallSeconds += chart.wallSeconds;
  if (!report.measurement) return;
  if (!chart.measurement) {
    report.chartReason = chart.reason;
    return;
  }
  const contexts = chart.measurement.runs.map((run) => run.promptLength).join(', ');
  report.measurement.runs.push(...chart.measurement.runs);
  report.measurement.notes.push(`contexts ${contexts} ran in a second process, peak RSS ${chart.measurement.peakRssBytes} bytes`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
