import type { PeerMeasurement, PeerRequest } from './peer-protocol.js';

/** A peer's measurement, run inside its own child process. */
export type MeasurePeer = (request: PeerRequest, log: (line: string) => void) => Promise<Omit<PeerMeasurement, 'peakRssBytes'>>;

/**
 * The body of every `*-child.ts` script: reads the request (JSON, first argument), measures,
 * prints one JSON line (the measurement, or `{"error"}`) on stdout and exits. Progress goes to
 * stderr, prefixed with `name`.
 */
export async function childMain(name: string, measure: MeasurePeer): Promise<never> {
  const log = (line: string): void => void process.stderr.write(`  [${name}] ${line}\n`);
  try {
    const request = JSON.parse(process.argv[2] ?? '') as PeerRequest;
    const measured = await measure(request, log);
    // maxRSS is in kilobytes and covers every thread of this process.
    const result: PeerMeasurement = { ...measured, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
    await writeLine(result);
    // Exit explicitly: a runtime may leave threads or handles behind that keep the process alive.
    process.exit(0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await writeLine({ error: message.split('\n')[0] });
    process.exit(1);
  }
}

function writeLine(value: unknown): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(value)}\n`, () => resolve()));
}
