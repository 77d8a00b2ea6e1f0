import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { EmbeddingModel, type EmbeddingInfo, type Embeddings } from '../../runtime/embedding/embedding-model.js';
import { expectedDevice } from '../../runtime/expected-device.js';
import { acquireModel } from '../acquire-model.js';
import { addHubOptions, type HubFlags } from '../hub-flags.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';
import { readPipedStdin } from '../read-stdin.js';
import { sessionSettings } from '../session-settings.js';
import { startSpinner } from '../ui/spinner.js';

/** Options of `owm embed`. */
export interface EmbedCommandOptions extends HubFlags, ModelFlags {
  model: string;
  /** The texts; none reads one text per line of stdin. */
  texts: string[];
  json?: boolean;
  truncate?: boolean;
  verbose?: boolean;
}

/** Registers `owm embed`. */
export function registerEmbed(program: Command): void {
  const command = program
    .command('embed')
    .description('turn texts into vectors with an embedding model: one JSON array per text, one per line')
    .argument('<model>', 'registry name, org/name, or the path of a local ONNX export')
    .argument('[text...]', 'the texts, one vector each; without them, each line of stdin is one text')
    .option('--json', 'print one JSON object with the model, the vectors and the token counts')
    .option('--truncate', "cut texts longer than the model's positions instead of failing")
    .option('--verbose', 'say how vectors are pooled, and the token count and time, on stderr');
  addHubOptions(addModelOptions(command, 'quantized, fp32')).action(async (model: string, texts: string[], flags: Omit<EmbedCommandOptions, 'model' | 'texts'>) => {
    process.exitCode = await runEmbed({ model, texts, ...flags });
  });
}

/** Runs `owm embed`; returns the exit code. */
export async function runEmbed(options: EmbedCommandOptions): Promise<number> {
  const texts = options.texts.length > 0 ? options.texts : await readLines();
  const acquired = await acquireModel({ ...options, device: expectedDevice(options.device), purpose: 'embedding' });
  const spinner = startSpinner(`loading ${acquired.label}`, options.quiet === true || options.json === true);
  let model: EmbeddingModel;
  try {
    model = await EmbeddingModel.load(acquired.location, sessionSettings({ ...options, optimize: false }), acquired.entry?.embedding);
  } finally {
    spinner.stop();
  }
  try {
    for (const warning of [model.info.fallbackReason, ...acquired.warnings]) if (warning) process.stderr.write(`warning: ${warning}\n`);
    if (options.verbose) process.stderr.write(`note: ${describePooling(acquired.label, model.info)}\n`);
    const started = performance.now();
    const embeddings = await model.embed(texts, { truncate: options.truncate === true });
    const ms = performance.now() - started;
    process.stdout.write(options.json ? `${JSON.stringify(jsonReport(acquired.label, embeddings))}\n` : vectorLines(embeddings));
    if (options.verbose) {
      const tokens = embeddings.tokenCounts.reduce((sum, count) => sum + count, 0);
      process.stderr.write(`${texts.length} texts, ${tokens} tokens, ${model.info.dimensions} dimensions in ${ms.toFixed(0)} ms (${((texts.length * 1000) / ms).toFixed(1)} texts/s)\n`);
    }
    return 0;
  } finally {
    await model.dispose();
  }
}

async function readLines(): Promise<string[]> {
  const piped = await readPipedStdin();
  if (piped === undefined) throw new UsageError('No text: give texts after the model name, or pipe one text per line on stdin.');
  const lines = piped.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new UsageError('stdin is empty: pipe one text per line, or give texts after the model name.');
  return lines;
}

function vectorLines(embeddings: Embeddings): string {
  return embeddings.vectors.map((vector) => `${JSON.stringify(Array.from(vector))}\n`).join('');
}

function jsonReport(label: string, embeddings: Embeddings): Record<string, unknown> {
  return { model: label, vectors: embeddings.vectors.map((vector) => Array.from(vector)), tokenCounts: embeddings.tokenCounts };
}

function describePooling(label: string, info: EmbeddingInfo): string {
  const how = `${info.pooling.replace('_', ' ')} pooling${info.normalize ? ', normalized' : ''}`;
  if (info.source === 'folder') return `${label}: ${how} (modules.json)`;
  if (info.source === 'registry') return `${label}: ${how} (owm's registry entry; the folder has no modules.json)`;
  return `${label} has no modules.json: using ${how}`;
}
