import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../src/cli/commands/bench.js';
import { runCommand } from '../run-command.js';
import type { PeerMeasurement } from './peer-protocol.js';
import { reportPeer, type PeerReport, type PeerTarget } from './peer-target.js';
import { mergeSpeedResults, singleReps } from './speed-results.js';
import { measureColdStart } from './time-to-first-byte.js';

const OWM_BIN = fileURLToPath(new URL('../../bin/owm.js', import.meta.url));

/**
 * owm as users run it, each measurement a fresh `node bin/owm.js` process: warm numbers from
 * `owm bench --json` (unless `warmLeftOut` gives why not), cold time to first token
 * from `owm run <dir> <prompt> --raw --max-tokens 1 --temperature 0`.
 */
export function measureOwmCli(target: PeerTarget, warmLeftOut?: string): Promise<PeerReport> {
  const { prepared, threads } = target;
  const cold = ['run', prepared.dir, target.coldPrompt, '--raw', '--max-tokens', '1', '--temperature', '0', '--device', 'cpu', '--threads', String(threads)];
  return reportPeer(
    'owm-cli',
    warmLeftOut ? { leftOut: warmLeftOut } : () => benchThroughCli(target),
    target.coldReps > 0 ? () => measureColdStart({ command: process.execPath, args: [OWM_BIN, ...cold] }, target.coldReps) : undefined,
  );
}

async function benchThroughCli(target: PeerTarget): Promise<PeerMeasurement> {
  const { plan } = target;
  const lengths = plan.runs.map((run) => run.promptLength).join(',');
  const reps = String(singleReps(plan));
  process.stderr.write(`  [owm cli] owm bench --prompt-lengths ${lengths} --gen ${plan.genTokens} --reps ${reps}\n`);
  const args = ['bench', target.prepared.dir, '--prompt-lengths', lengths, '--gen', String(plan.genTokens), '--reps', reps, '--threads', String(target.threads)];
  const report = JSON.parse(await runCommand(process.execPath, [OWM_BIN, ...args, '--device', 'cpu', '--json', '--quiet'])) as BenchReport;
  return {
    loadMs: report.loadMs,
    peakRssBytes: report.peakRssBytes,
    runs: mergeSpeedResults(plan, report.results),
    firstTokens: [],
    notes: [`owm bench --reps ${reps} for every prompt length`],
  };
}
