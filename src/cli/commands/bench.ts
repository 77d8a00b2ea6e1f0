import { Option, type Command } from 'commander';
import { formatBytes } from '../../format-bytes.js';
import { integerFlag, integerListFlag, threadsFlag } from '../flag-parsers.js';
import { expectedDevice, type DeviceRequest } from '../../runtime/expected-device.js';
import { LocalModel } from '../../runtime/local-model.js';
import { measureSpeed, type SpeedResult, type Spread } from '../../runtime/measure-speed.js';
import type { ModelInfo } from '../../runtime/local-model.js';
import { acquireModel } from '../acquire-model.js';
import { sessionSettings } from '../session-settings.js';
import { addHubOptions, type HubFlags } from '../hub-flags.js';
import { addOptimizeOptions, type OptimizeFlags } from '../optimize-options.js';
import { formatTable } from '../ui/format-table.js';
import { startSpinner } from '../ui/spinner.js';

/** Options of `owm bench`. */
export interface BenchOptions extends HubFlags, OptimizeFlags {
  model: string;
  promptLengths: number[];
  gen: number;
  reps: number;
  threads?: number;
  device: DeviceRequest;
  variant?: string;
  acceptLicense?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** What `owm bench` reports. */
export interface BenchReport {
  model: string;
  device: string;
  threads: number;
  loadMs: number;
  /** What the load-time optimizer did. */
  optimization?: string;
  peakRssBytes: number;
  results: SpeedResult[];
}

/** Registers `owm bench`. */
export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description('measure load time, time to first token, prefill and decode speed, and peak memory (like llama-bench)')
    .argument('<model>', 'registry name, org/name, or a local ONNX export')
    .option('--prompt-lengths <list>', 'prompt lengths in tokens, comma-separated', integerListFlag('--prompt-lengths'), [32, 512])
    .option('--gen <n>', 'tokens to generate per run', integerFlag('--gen', 1), 128)
    .option('--reps <n>', 'repetitions per prompt length', integerFlag('--reps', 1), 3)
    .option('--threads <n>', 'CPU threads (default: physical cores)', threadsFlag)
    .addOption(new Option('--device <device>', 'where to run').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--variant <name>', 'ONNX variant')
    .option('--accept-license', 'accept the model\'s license without asking, if it has to be pulled')
    .option('-q, --quiet', 'no progress output');
  addOptimizeOptions(command).option('--json', 'print JSON');
  addHubOptions(command).action(async (model: string, flags: Omit<BenchOptions, 'model'>) => {
    const report = await runBench({ model, ...flags });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  });
}

/** Loads the model once and measures it at each prompt length. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const acquired = await acquireModel({ ...options, device: expectedDevice(options.device) });
  const spinner = startSpinner(`loading ${acquired.label}`, options.quiet === true);
  let model: LocalModel | undefined;
  try {
    model = await LocalModel.load(acquired.location, sessionSettings(options));
    const loaded: LocalModel = model;
    const results = await measureSpeed(loaded, {
      promptLengths: options.promptLengths,
      genTokens: options.gen,
      reps: options.reps,
      onRun: ({ promptLength, rep, of }) => spinner.update(`benchmarking ${acquired.label}: prompt ${promptLength} tokens, run ${rep}/${of}`),
    });
    return report(acquired.label, loaded.info, results);
  } finally {
    spinner.stop();
    await model?.dispose();
  }
}

function report(label: string, info: ModelInfo, results: SpeedResult[]): BenchReport {
  return {
    model: label,
    device: info.device,
    threads: info.threads,
    loadMs: info.loadMs,
    optimization: info.optimization,
    // maxRSS covers the whole process, worker thread included, in kilobytes.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    results,
  };
}

function formatSpread(value: Spread, digits = 1): string {
  return `${value.median.toFixed(digits)} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`;
}

function formatReport(report: BenchReport): string {
  const head = `${report.model} on ${report.device}, ${report.threads} threads: load ${(report.loadMs / 1000).toFixed(2)} s, peak RSS ${formatBytes(report.peakRssBytes)}\n${report.optimization ? `${report.optimization}\n` : ''}`;
  return (
    head +
    formatTable(
      ['PROMPT', 'GEN', 'TTFT ms', 'PREFILL tok/s', 'DECODE tok/s'],
      report.results.map((result) => [
        String(result.promptLength),
        String(result.genTokens),
        formatSpread(result.timeToFirstTokenMs, 0),
        formatSpread(result.prefillTokensPerSecond),
        formatSpread(result.decodeTokensPerSecond),
      ]),
    )
  );
}
