import type { Command } from 'commander';
import { resolvePaths, resolveHubSettings } from '../../config.js';

/** Options of `owm config`. */
export interface ConfigOptions {
  json?: boolean;
}

/** Where owm reads and writes, and how it reaches the Hub (the token itself is never shown). */
export interface ConfigReport {
  hubCache: string;
  userRegistryFile: string;
  configDir: string;
  stateDir: string;
  optimizedCache: string;
  endpoint: string;
  tokenSet: boolean;
  /** Where the token comes from (a variable's name or the token file), never the token. */
  tokenSource?: string;
  offline: boolean;
}

/** Registers `owm config`. */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('show where owm keeps models, the user registry file, and the Hub settings in effect')
    .option('--json', 'print JSON')
    .action((flags: ConfigOptions) => {
      const report = runConfig();
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatConfig(report));
    });
}

/** Collects the settings in effect. */
export function runConfig(env: NodeJS.ProcessEnv = process.env): ConfigReport {
  const paths = resolvePaths(env);
  const hub = resolveHubSettings(env);
  return {
    hubCache: paths.hubCache,
    userRegistryFile: paths.userRegistryFile,
    configDir: paths.configDir,
    stateDir: paths.stateDir,
    optimizedCache: paths.optimizedCache,
    endpoint: hub.endpoint,
    tokenSet: hub.token !== undefined,
    tokenSource: hub.tokenSource,
    offline: hub.offline,
  };
}

function formatConfig(report: ConfigReport): string {
  const rows: Array<[string, string]> = [
    ['models cache', report.hubCache],
    ['user registry', report.userRegistryFile],
    ['state', report.stateDir],
    ['rewritten graphs', report.optimizedCache],
    ['hub endpoint', report.endpoint],
    ['token', report.tokenSet ? `set (from ${report.tokenSource})` : 'not set'],
    ['offline', report.offline ? 'yes' : 'no'],
  ];
  return `${rows.map(([name, value]) => `${name.padEnd(17)}${value}`).join('\n')}\n`;
}
