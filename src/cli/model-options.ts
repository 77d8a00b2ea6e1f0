import { Option, type Command } from 'commander';
import type { DeviceRequest } from '../runtime/expected-device.js';
import { threadsFlag } from './flag-parsers.js';

/** The flags `addModelOptions` adds, parsed. */
export interface ModelFlags {
  device: DeviceRequest;
  threads?: number;
  variant?: string;
  revision?: string;
  acceptLicense?: boolean;
  quiet?: boolean;
}

/** Adds the flags of commands that load one model and pull it when needed: where to run it, which variant, the licence, quiet. */
export function addModelOptions(command: Command, variantExamples: string): Command {
  return command
    .addOption(new Option('--device <device>', 'where to run').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--threads <n>', 'CPU threads (default: physical cores)', threadsFlag)
    .option('--variant <name>', `ONNX variant (${variantExamples}, ...)`)
    .option('--revision <rev>', 'branch, tag or commit')
    .option('--accept-license', "accept the model's license without asking, if it has to be pulled")
    .option('-q, --quiet', 'no pull progress or spinner');
}
