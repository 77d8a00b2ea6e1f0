import type { HubSettings, OwmPaths } from '../config.js';
import type { Snapshot } from '../hub/types.js';
import type { Device } from '../registry/model-entry-schema.js';
import type { ModelRef } from '../registry/resolve-model.js';
import { interruptSignal } from './interrupt-signal.js';
import { pullModel } from '../models/pull-model.js';
import { canPrompt, confirm } from './ui/confirm.js';
import { createPullProgress, progressMode } from './ui/pull-progress.js';

/** A pull as the terminal shows it: progress on stderr, a license prompt on a TTY, Ctrl-C to stop. */
export async function pullWithProgress(options: {
  ref: ModelRef;
  label: string;
  device: Device;
  settings: HubSettings;
  paths: OwmPaths;
  acceptLicense: boolean;
  quiet: boolean;
}): Promise<Snapshot> {
  const progress = createPullProgress(progressMode(options.quiet), options.label);
  const interrupt = interruptSignal();
  try {
    return await pullModel({
      ref: options.ref,
      device: options.device,
      settings: options.settings,
      paths: options.paths,
      acceptLicense: options.acceptLicense,
      askLicense: canPrompt()
        ? async (notice, repo) => {
            progress.stop();
            return confirm(`${repo} is distributed under ${notice.name}: ${notice.url}\nDo you accept its terms?`);
          }
        : undefined,
      onEvent: (event) => progress.onEvent(event),
      signal: interrupt.signal,
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}
