import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Option, type Command } from 'commander';
import { createAdaptorServer } from '@hono/node-server';
import { resolveOwmEnvironment, resolvePaths } from '../../config.js';
import { OwmError, UsageError } from '../../errors.js';
import { ModelManager, type ModelEvent } from '../../models/model-manager.js';
import { expectedDevice, type DeviceRequest } from '../../runtime/expected-device.js';
import { createApp } from '../../server/create-app.js';
import { acquireModel } from '../acquire-model.js';
import { integerFlag, threadsFlag } from '../flag-parsers.js';
import { hubSettingsFrom } from '../hub-flags.js';
import { addOptimizeOptions, type OptimizeFlags } from '../optimize-options.js';
import { parseDuration } from '../../parse-duration.js';
import { OWM_VERSION } from '../version.js';
import { sessionSettings } from '../session-settings.js';

/** The port `owm serve` listens on unless told otherwise: none of Ollama's (11434), LM Studio's (1234) or llama-server's (8080). */
export const DEFAULT_PORT = 11470;

/** Options of `owm serve`. */
export interface ServeOptions extends OptimizeFlags {
  promptLookup?: boolean;
  host: string;
  port: number;
  model: string[];
  parallel: number;
  maxQueue: number;
  apiKey?: string;
  corsOrigin: string[];
  keepAlive: number;
  device: DeviceRequest;
  threads?: number;
  acceptLicense?: boolean;
  quiet?: boolean;
}

/** Registers `owm serve`. */
export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('serve models over HTTP with the OpenAI (/v1) and Ollama (/api) APIs')
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--port <port>', `port to listen on (0 picks a free one)`, integerFlag('--port', 0, 65535), DEFAULT_PORT)
    .option('--model <alias=name>', 'preload a model (registry name, org/name or folder), optionally under an alias; repeatable', (value: string, previous: string[] = []) => [...previous, value], [])
    .option('--parallel <n>', 'requests generating at once per model, each with its own KV cache', integerFlag('--parallel', 1, 64), 4)
    .option('--max-queue <n>', 'requests that may wait for a free slot; more get 503 at once', integerFlag('--max-queue', 0), 64)
    .option('--api-key <key>', 'require this key as `Authorization: Bearer <key>` (default: OWM_API_KEY)')
    .option('--cors-origin <origin>', 'allow browser calls from this origin (repeatable; * for any; default: this machine\'s pages)', (value: string, previous: string[] = []) => [...previous, value], [])
    .option('--keep-alive <duration>', 'unload a model idle this long (5m, 1h, 0 = at once, -1 = never)', parseDuration, 5 * 60_000)
    .addOption(new Option('--device <device>', 'where to run').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--threads <n>', 'CPU threads per model (default: physical cores)', threadsFlag);
  addOptimizeOptions(command)
    .option('--prompt-lookup', 'greedy requests: prompt-lookup decoding while a model has one request in flight (the same answers)')
    .option('--accept-license', 'accept the license of a preloaded model that has to be pulled')
    .option('-q, --quiet', 'no request log')
    .action(async (flags: ServeOptions) => {
      process.exitCode = await runServe(flags);
    });
}

/** Runs `owm serve` until SIGINT or SIGTERM; returns the exit code. */
export async function runServe(options: ServeOptions): Promise<number> {
  const apiKey = options.apiKey ?? resolveOwmEnvironment().apiKey;
  const preloads = options.model.map(parseModelSpec);
  const log = (line: string): void => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const device = expectedDevice(options.device);
  const paths = resolvePaths();
  const manager = new ModelManager({
    paths,
    device,
    session: sessionSettings(options),
    concurrency: { parallel: options.parallel, maxQueue: options.maxQueue },
    keepAliveMs: options.keepAlive,
    onEvent: (event) => log(describeEvent(event)),
  });
  let ready = false;
  const app = createApp(
    { manager, paths, hub: hubSettingsFrom({}), device, version: OWM_VERSION, promptLookup: options.promptLookup === true, log },
    { apiKey, corsOrigins: options.corsOrigin, log, ready: () => ready },
  );
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new OwmError(`Port ${options.port} on ${options.host} is in use: stop what holds it, or pick another with --port.`, { code: 'port-in-use' })
          : new OwmError(`Cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}).`, { code: 'listen-failed' }),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  process.stderr.write(`owm serve: listening on http://${host}:${port}${apiKey ? ' (API key required)' : ''}\n`);

  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', () => process.exit(130));
      log('owm serve: shutting down');
      // Stop accepting; open streams end with their last chunk once their generations stop.
      server.close(() => resolve());
      void manager.close().then(() => {
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  try {
    for (const { alias, model } of preloads) {
      const found = await acquireModel({ model, device, acceptLicense: options.acceptLicense, quiet: options.quiet, purpose: 'any' });
      await manager.preload(alias, found);
    }
    ready = true;
  } catch (error) {
    server.close();
    await manager.close();
    throw error;
  }
  await stopped;
  return 0;
}

/** `alias=name` or `name` (then the alias is the name as typed). */
function parseModelSpec(spec: string): { alias: string; model: string } {
  const at = spec.indexOf('=');
  const alias = at > 0 ? spec.slice(0, at).trim() : spec.trim();
  const model = at > 0 ? spec.slice(at + 1).trim() : spec.trim();
  if (!alias || !model) throw new UsageError(`--model ${spec}: give NAME or ALIAS=NAME_OR_PATH.`);
  return { alias, model };
}

function describeEvent(event: ModelEvent): string {
  if (event.type === 'loading') return `loading ${event.name}`;
  if (event.type === 'loaded') return `loaded ${event.name} in ${(event.ms / 1000).toFixed(1)}s`;
  return `unloaded ${event.name} (${event.reason})`;
}
