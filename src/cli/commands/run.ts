import type { Command } from 'commander';
import { resolveOwmEnvironment } from '../../config.js';
import { EXIT_INTERRUPTED, UsageError } from '../../errors.js';
import { expectedDevice } from '../../runtime/expected-device.js';
import type { GenerationStats } from '../../runtime/generate-text.js';
import type { TextGenerator } from '../../runtime/generation.js';
import { LocalModel, startModelWorker, type ModelInfo } from '../../runtime/local-model.js';
import { FALLBACK_SAMPLING, resolveSampling } from '../../runtime/sampling/index.js';
import type { ChatMessage } from '../../runtime/render-chat-template.js';
import { acquireModel } from '../acquire-model.js';
import { sessionSettings } from '../session-settings.js';
import { addGenerationOptions, samplingOverrides, type GenerationFlags } from '../generation-flags.js';
import { addHubOptions, type HubFlags } from '../hub-flags.js';
import { addModelOptions, type ModelFlags } from '../model-options.js';
import { addOptimizeOptions, type OptimizeFlags } from '../optimize-options.js';
import { joinPrompt, readPipedStdin } from '../read-stdin.js';
import { formatGenerationStats } from '../ui/generation-stats.js';
import { startSpinner } from '../ui/spinner.js';
import { buildRequest } from '../build-request.js';
import { runChat } from '../chat-repl.js';
import { incompleteOutputError } from '../incomplete-output.js';
import { outputGrammar } from '../output-grammar.js';

/** Options of `owm run`. */
export interface RunOptions extends HubFlags, GenerationFlags, ModelFlags, OptimizeFlags {
  model: string;
  prompt: string[];
  raw?: boolean;
  verbose?: boolean;
  json?: boolean;
  /** An OpenAI-compatible server to send the prompt to instead of running the model here. */
  host?: string;
}

/** Registers `owm run`. */
export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('run a model: answer a prompt (also from stdin), or chat when no prompt is given on a terminal')
    .argument('<model>', 'registry name, org/name, or the path of a local ONNX export')
    .argument('[prompt...]', 'the prompt; piped stdin is appended after a blank line')
    .option('--raw', 'feed the prompt as is, without the chat template');
  addOptimizeOptions(addModelOptions(command, 'q4, fp16'))
    .option('--verbose', 'after the answer, print token counts, time to first token and speeds on stderr')
    .option('--json', 'print one JSON object with the text and the statistics instead of streaming')
    .option('--host <url>', 'send the prompt to an OpenAI-compatible server (owm serve, vLLM, TGI, llama-server, Ollama) instead (default: OWM_HOST)');
  addGenerationOptions(command);
  addHubOptions(command).action(async (model: string, prompt: string[], flags: Omit<RunOptions, 'model' | 'prompt'>) => {
    process.exitCode = await runRun({ model, prompt, ...flags });
  });
}

/** Runs `owm run`; returns the exit code. */
export async function runRun(options: RunOptions): Promise<number> {
  // Validate sampling flags and the output's shape before any download or load.
  resolveSampling(samplingOverrides(options), {}, FALLBACK_SAMPLING);
  options.grammar = await outputGrammar(options);
  const host = options.host ?? resolveOwmEnvironment().host;
  if (host) return runRemote(options, host);
  // The model's thread boots (onnxruntime included) while stdin is read and the model found.
  const worker = startModelWorker();
  let model: LocalModel;
  let label: string;
  let input: PromptInput;
  let acquiredWarnings: string[] = [];
  try {
    input = await readPrompt(options);
    const acquired = await acquireModel({ ...options, device: expectedDevice(options.device) });
    label = acquired.label;
    acquiredWarnings = acquired.warnings;
    const spinner = startSpinner(`loading ${label}`, options.quiet === true || options.json === true);
    try {
      model = await LocalModel.load(acquired.location, sessionSettings(options), { worker });
    } finally {
      spinner.stop();
    }
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  try {
    for (const warning of [model.info.fallbackReason, ...model.info.warnings, ...acquiredWarnings]) if (warning) process.stderr.write(`warning: ${warning}\n`);
    if (options.verbose && model.info.optimization) process.stderr.write(`note: ${model.info.optimization}\n`);
    if (!model.info.chatTemplate && !options.raw) process.stderr.write(`warning: ${label} has no chat template: prompts are fed to it as plain text.\n`);
    return await answer(model, options, input, label, model.info);
  } finally {
    await model.dispose();
  }
}

/** `owm run --host`: the same prompt, flags and output, answered by a server. */
async function runRemote(options: RunOptions, host: string): Promise<number> {
  if (options.context !== undefined) process.stderr.write('warning: --context is ignored with --host: the server decides the context.\n');
  if (options.promptLookup) process.stderr.write('warning: --prompt-lookup is ignored with --host: the server decides how it decodes.\n');
  const input = await readPrompt(options);
  const { RemoteModel } = await import('../../client/remote-model.js');
  const model = new RemoteModel({ host, model: options.model, apiKey: resolveOwmEnvironment().apiKey });
  return answer(model, options, input, options.model);
}

/** The prompt from the arguments and piped stdin, or none when a terminal chat should start. */
type PromptInput = { interactive: true } | { interactive: false; text: string };

async function readPrompt(options: RunOptions): Promise<PromptInput> {
  const piped = await readPipedStdin();
  const text = joinPrompt(options.prompt.length > 0 ? options.prompt.join(' ') : undefined, piped);
  if (text !== undefined) return { interactive: false, text };
  if (process.stdin.isTTY === true) return { interactive: true };
  throw new UsageError('No prompt: give one after the model name, or pipe text on stdin.');
}

function answer(model: TextGenerator, options: RunOptions, input: PromptInput, label: string, info?: ModelInfo): Promise<number> {
  if (input.interactive) return runChat(model, options, label, info);
  return answerOnce(model, options, input.text, label, info);
}

async function answerOnce(model: TextGenerator, options: RunOptions, promptText: string, label: string, info?: ModelInfo): Promise<number> {
  const messages: ChatMessage[] = [
    ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
    { role: 'user', content: promptText },
  ];
  const generation = model.generate(buildRequest(options, messages, options.raw ? promptText : undefined));
  let interrupted = false;
  let pipeClosed = false;
  const onSigint = (): void => {
    interrupted = true;
    generation.stop();
  };
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    pipeClosed = true;
    generation.stop();
  };
  process.on('SIGINT', onSigint);
  process.stdout.on('error', onStdoutError);
  // A JSON answer is printed once it is whole: a script must never read half a value.
  const streaming = !options.json && !options.grammar;
  let text = '';
  try {
    for await (const piece of generation) {
      text += piece;
      if (streaming && !pipeClosed) process.stdout.write(piece);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  const stats: GenerationStats = await generation.stats;
  if (pipeClosed) return 0;
  if (options.grammar) {
    const incomplete = incompleteOutputError(stats);
    if (incomplete) throw incomplete;
    if (!options.json && !interrupted) process.stdout.write(text);
  }
  if (options.json) {
    const where = info ? { loadMs: info.loadMs, device: info.device, threads: info.threads } : { host: options.host ?? resolveOwmEnvironment().host };
    process.stdout.write(`${JSON.stringify({ model: label, text, stats: { ...stats, ...where } })}\n`);
  } else if (!text.endsWith('\n')) {
    process.stdout.write('\n');
  }
  if (options.verbose) process.stderr.write(`${formatGenerationStats(stats, info)}\n`);
  return interrupted ? EXIT_INTERRUPTED : 0;
}
