import { parseArgs } from 'node:util';

/** The command line of `npm run bench`. */
export interface BenchArgs {
  /** The quick set: one small model, fewer context lengths and repetitions. */
  quick: boolean;
  /** Intra-op threads for every peer. @default the number of physical cores */
  threads?: number;
  /** Model ids to run (all of the set when empty). */
  only: string[];
  /** Folder for the markdown, JSON and SVG results. @default bench/results */
  out?: string;
  /** Repetitions of every measurement, overriding the set's. */
  reps?: number;
  /** Leave out the `owm pull` against `curl` download measurement. */
  skipDownload: boolean;
  /** Measure the models only: no download, serve load, constrained decoding, batched decoding or embeddings. */
  modelsOnly: boolean;
  help: boolean;
}

/** How to call it, for `--help` and usage errors. */
export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--threads N] [--only MODEL[,MODEL]] [--reps N] [--out DIR] [--skip-download] [--models-only]`;

/** Parses `npm run bench` arguments; throws an Error naming the bad argument. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      threads: { type: 'string' },
      only: { type: 'string', multiple: true },
      out: { type: 'string' },
      reps: { type: 'string' },
      'skip-download': { type: 'boolean', default: false },
      'models-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    quick: values.quick ?? false,
    threads: values.threads === undefined ? undefined : positiveInteger('--threads', values.threads),
    only: (values.only ?? []).flatMap((list) => list.split(',')).map((id) => id.trim()).filter((id) => id !== ''),
    out: values.out,
    reps: values.reps === undefined ? undefined : positiveInteger('--reps', values.reps),
    skipDownload: values['skip-download'] ?? false,
    modelsOnly: values['models-only'] ?? false,
    help: values.help ?? false,
  };
}

function positiveInteger(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be an integer >= 1, got ${raw}`);
  return value;
}
