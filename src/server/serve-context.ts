import type { HubSettings, OwmPaths } from '../config.js';
import type { ModelManager } from '../models/model-manager.js';
import type { Device } from '../registry/model-entry-schema.js';

/** What every route needs: the models, where the cache is, how to reach the Hub. */
export interface ServeContext {
  manager: ModelManager;
  paths: OwmPaths;
  hub: HubSettings;
  /** The device variants are pulled for. */
  device: Device;
  version: string;
  /** Prompt-lookup decoding for greedy requests (`--prompt-lookup`). */
  promptLookup: boolean;
  /** The server's log on stderr (silent with `--quiet`). */
  log: (line: string) => void;
}
