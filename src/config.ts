import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where owm reads and writes, and how it reaches the Hub; derived once from the environment. */
export interface OwmPaths {
  /** The Hugging Face hub cache root (blobs, snapshots, refs), shared with Python tools. */
  hubCache: string;
  /** owm's own configuration folder (user registry file). */
  configDir: string;
  /** owm's own state folder (license acceptances, last-used times). */
  stateDir: string;
  /** The user registry file that overlays models.yaml. */
  userRegistryFile: string;
  /** Where rewritten (fused) ONNX graphs are cached, next to nothing Python reads. */
  optimizedCache: string;
}

/** Everything the environment says about reaching the Hub. */
export interface HubSettings {
  /** Base URL of the Hub (HF_ENDPOINT), without a trailing slash. */
  endpoint: string;
  /** Access token (HF_TOKEN, HUGGING_FACE_HUB_TOKEN, or the file `hf auth login` writes), if any. */
  token?: string;
  /** Where the token came from: the variable's name, `--token`, or the token file's path. */
  tokenSource?: string;
  /** True when only the cache may be used (HF_HUB_OFFLINE=1). */
  offline: boolean;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

type Env = NodeJS.ProcessEnv;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** True for the truthy spellings huggingface_hub accepts ("1", "true", "yes", "on"). */
export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

/** The HF home folder: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHome(env: Env = process.env): string {
  const explicit = nonEmpty(env.HF_HOME);
  if (explicit) return path.resolve(explicit);
  const xdg = nonEmpty(env.XDG_CACHE_HOME) ?? path.join(os.homedir(), '.cache');
  return path.join(xdg, 'huggingface');
}

/** Resolves owm's folders from the environment, following huggingface_hub's precedence. */
export function resolvePaths(env: Env = process.env): OwmPaths {
  const hubCache = path.resolve(
    nonEmpty(env.OWM_CACHE) ?? nonEmpty(env.HF_HUB_CACHE) ?? path.join(hfHome(env), 'hub'),
  );
  const owmHome = nonEmpty(env.OWM_HOME);
  const configDir = owmHome
    ? path.resolve(owmHome)
    : path.join(nonEmpty(env.XDG_CONFIG_HOME) ?? path.join(os.homedir(), '.config'), 'owm');
  const stateDir = owmHome
    ? path.resolve(owmHome)
    : path.join(nonEmpty(env.XDG_STATE_HOME) ?? path.join(os.homedir(), '.local', 'state'), 'owm');
  const cacheRoot = owmHome
    ? path.resolve(owmHome)
    : path.join(nonEmpty(env.XDG_CACHE_HOME) ?? path.join(os.homedir(), '.cache'), 'owm');
  return {
    hubCache,
    configDir,
    stateDir,
    userRegistryFile: path.join(configDir, 'models.yaml'),
    optimizedCache: path.join(cacheRoot, 'optimized'),
  };
}

/** Reads Hub settings from the environment; flags given on the command line win over these. */
export function resolveHubSettings(env: Env = process.env): HubSettings {
  const endpoint = (nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const found = fromVariable(env, 'HF_TOKEN') ?? fromVariable(env, 'HUGGING_FACE_HUB_TOKEN') ?? savedToken(env);
  return { endpoint, token: found?.token.trim(), tokenSource: found?.source, offline: isTruthy(env.HF_HUB_OFFLINE) };
}

function fromVariable(env: Env, name: string): { token: string; source: string } | undefined {
  const token = nonEmpty(env[name]);
  return token === undefined ? undefined : { token, source: name };
}

/** The token `hf auth login` saved ($HF_TOKEN_PATH, else $HF_HOME/token), if any. */
function savedToken(env: Env): { token: string; source: string } | undefined {
  const file = nonEmpty(env.HF_TOKEN_PATH) ?? path.join(hfHome(env), 'token');
  try {
    const token = nonEmpty(readFileSync(file, 'utf8'));
    return token === undefined ? undefined : { token, source: file };
  } catch {
    return undefined;
  }
}

/** owm's own settings from the environment, beyond its folders and the Hub. */
export interface OwmEnvironment {
  /** OWM_HOST: the server `owm run` sends prompts to instead of running locally. */
  host?: string;
  /** OWM_API_KEY: the key `owm serve` requires and `owm run --host` sends. */
  apiKey?: string;
  /** OWM_STALL_TIMEOUT_MS: how long a transfer may go without a byte before it is retried. */
  stallTimeoutMs?: number;
  /** OWM_PROGRESS_INTERVAL_MS: how often plain progress lines are printed. @default 5000 */
  progressIntervalMs: number;
}

/** Reads owm's own variables. */
export function resolveOwmEnvironment(env: Env = process.env): OwmEnvironment {
  return {
    host: nonEmpty(env.OWM_HOST)?.trim(),
    apiKey: nonEmpty(env.OWM_API_KEY)?.trim(),
    stallTimeoutMs: positiveNumber(env.OWM_STALL_TIMEOUT_MS),
    progressIntervalMs: positiveNumber(env.OWM_PROGRESS_INTERVAL_MS) ?? 5000,
  };
}

function positiveNumber(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : undefined;
}
