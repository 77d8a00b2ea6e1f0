import { resolvePaths } from '../config.js';
import type { SessionSettings } from '../runtime/create-session.js';
import type { DeviceRequest } from '../runtime/expected-device.js';

/** Flags that decide how a model is loaded. */
export interface LoadFlags {
  device: DeviceRequest;
  threads?: number;
  /** Only output-preserving graph rewrites. */
  exact?: boolean;
  /** False with `--no-optimize`: load the graph as it is. */
  optimize?: boolean;
  /** ONNX Runtime's warnings on stderr too. */
  verbose?: boolean;
}

/** Session settings from the flags: the fused rewrite is on unless `--no-optimize`. */
export function sessionSettings(flags: LoadFlags): SessionSettings {
  return {
    device: flags.device,
    threads: flags.threads,
    verbose: flags.verbose === true,
    ...(flags.optimize === false ? {} : { optimize: { cacheDir: resolvePaths().optimizedCache, exact: flags.exact === true } }),
  };
}
