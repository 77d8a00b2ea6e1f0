import { resolvePaths } from '../config.js';
import type { SessionSettings } from '../runtime/create-session.js';
import type { DeviceRequest } from '../runtime/expected-device.js';
import type { OptimizeFlags } from './optimize-options.js';

/** Flags that decide how a model is loaded. */
export interface LoadFlags extends OptimizeFlags {
  device: DeviceRequest;
  threads?: number;
  /** ONNX Runtime's warnings on stderr too. */
  verbose?: boolean;
}

/** Session settings from the flags: the fused rewrite is on unless `--no-optimize`. */
export function sessionSettings(flags: LoadFlags): SessionSettings {
  return {
    device: flags.device,
    threads: flags.threads,
    verbose: flags.verbose === true,
    ...(flags.optimize === false ? {} : { optimize: { cacheDir: resolvePaths().optimizedCache, exact: flags.exact === true, ...(flags.reblock ? { reblock: flags.reblock } : {}) } }),
  };
}
