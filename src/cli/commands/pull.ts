import { Option, type Command } from 'commander';
import { resolvePaths } from '../../config.js';
import type { Snapshot } from '../../hub/types.js';
import type { Device } from '../../registry/model-entry-schema.js';
import { pullWithProgress } from '../pull-with-progress.js';
import { resolveInput } from '../../models/resolve-input.js';
import { addHubOptions, hubSettingsFrom, type HubFlags } from '../hub-flags.js';

/** Options of `owm pull`. */
export interface PullOptions extends HubFlags {
  model: string;
  variant?: string;
  revision?: string;
  device?: Device;
  acceptLicense?: boolean;
  quiet?: boolean;
}

/** Registers `owm pull`. */
export function registerPull(program: Command): void {
  const command = program
    .command('pull')
    .description('download a model (registry name or org/name) into the Hugging Face cache')
    .argument('<model>', 'registry name (see `owm list --available`), or an org/name repo id')
    .option('--variant <name>', 'which ONNX variant to pull (q4, q4f16, fp16, fp32, int8, ...)')
    .option('--revision <rev>', 'branch, tag or commit (default: the registry entry\'s, else main)')
    .addOption(new Option('--device <device>', 'pick the default variant for this device').choices(['cpu', 'cuda']).default('cpu'))
    .option('--accept-license', 'accept the model\'s license without asking (needed when not on a terminal)')
    .option('-q, --quiet', 'no progress output');
  addHubOptions(command).action(async (model: string, flags: Omit<PullOptions, 'model'>) => {
    await runPull({ model, ...flags });
  });
}

/** Pulls a model, showing progress on stderr; returns the snapshot. */
export async function runPull(options: PullOptions): Promise<Snapshot> {
  const paths = resolvePaths();
  const settings = hubSettingsFrom(options);
  const ref = await resolveInput(options.model, { variant: options.variant, revision: options.revision }, paths);
  const label = ref.name ?? ref.repo;
  const started = Date.now();
  const snapshot = await pullWithProgress({
    ref,
    label,
    device: options.device ?? 'cpu',
    settings,
    paths,
    acceptLicense: options.acceptLicense === true,
    quiet: options.quiet === true,
  });
  if (options.quiet !== true) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `pulled ${label} (${snapshot.variant}, ${snapshot.files.length} files${settings.offline ? ', from cache' : ''}) in ${seconds}s: ${snapshot.dir}\n`,
    );
  }
  return snapshot;
}
