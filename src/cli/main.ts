import { Command, CommanderError } from 'commander';
import { resolvePaths } from '../config.js';
import { EXIT_FAILURE, EXIT_USAGE, OwmError } from '../errors.js';
import { printError } from './ui/print-error.js';
import { registerBench } from './commands/bench.js';
import { registerConfig } from './commands/config.js';
import { registerEmbed } from './commands/embed.js';
import { registerList } from './commands/list.js';
import { registerOutdated } from './commands/outdated.js';
import { registerPull } from './commands/pull.js';
import { registerRm } from './commands/rm.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { OWM_VERSION } from './version.js';
import { registerShow } from './commands/show.js';
import { registerUpdate } from './commands/update.js';
import { registerVerify } from './commands/verify.js';


/** Builds the commander program with every command registered. */
export function buildProgram(): Command {
  const paths = resolvePaths();
  const program = new Command('owm')
    .description('Download open-weight LLMs from the Hugging Face Hub and run them locally with ONNX Runtime.')
    .version(OWM_VERSION, '-V, --version')
    .option('--debug', 'print stack traces of unexpected errors')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `\nFiles:\n  models cache     ${paths.hubCache}  (HF_HUB_CACHE, HF_HOME, OWM_CACHE)\n  user registry    ${paths.userRegistryFile}\n  state            ${paths.stateDir}\n\nRun \`owm <command> --help\` for a command's options.`,
    );
  // Set before the commands are added: subcommands copy these settings when created.
  program.exitOverride();
  program.configureOutput({ outputError: (text, write) => write(text) });
  for (const register of [registerRun, registerEmbed, registerServe, registerPull, registerList, registerShow, registerRm, registerOutdated, registerUpdate, registerVerify, registerBench, registerConfig]) {
    register(program);
  }
  return program;
}

/**
 * A reader that goes away (`owm --help | head -1`) is not an error: output stops and the command
 * ends as it would have. Without a listener Node would crash on the stream's 'error' event.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** Runs the CLI: the only place that decides how the process exits. */
export async function main(argv: string[]): Promise<void> {
  ignoreClosedPipes();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error, program.opts<{ debug?: boolean }>().debug ?? argv.includes('--debug'));
  }
}

function exitCodeFor(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; commander already printed its own usage message otherwise.
    if (error.exitCode === 0) return 0;
    return EXIT_USAGE;
  }
  printError(error, debug);
  return error instanceof OwmError ? error.exitCode : EXIT_FAILURE;
}
