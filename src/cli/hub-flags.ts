import type { Command } from 'commander';
import { resolveHubSettings, type HubSettings } from '../config.js';

/** Flags that change how the Hub is reached, shared by commands that talk to it. */
export interface HubFlags {
  token?: string;
  offline?: boolean;
}

/** Adds `--token` and `--offline` to a command. */
export function addHubOptions(command: Command): Command {
  return command
    .option('--token <token>', 'Hugging Face access token (default: HF_TOKEN)')
    .option('--offline', 'use only what is in the cache (same as HF_HUB_OFFLINE=1)');
}

/** Hub settings from the environment, with command-line flags taking precedence. */
export function hubSettingsFrom(flags: HubFlags, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const settings = resolveHubSettings(env);
  return {
    ...settings,
    ...(flags.token ? { token: flags.token.trim(), tokenSource: '--token' } : {}),
    offline: settings.offline || flags.offline === true,
  };
}
