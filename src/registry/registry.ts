import type { ModelEntry } from './model-entry-schema.js';

/** Where a registry entry was declared, for messages and `owm show`. */
export interface EntrySource {
  /** Absolute path of the YAML file. */
  file: string;
  /** 1-based line of the entry's name in that file. */
  line: number;
  /** True for the models.yaml that ships with owm. */
  builtin: boolean;
}

/** One named model of the registry. */
export interface RegisteredModel {
  /** The short name users type (`qwen2.5-0.5b`). */
  name: string;
  entry: ModelEntry;
  source: EntrySource;
}

/** The built-in entries overlaid with the user's, keyed by name in file order. */
export interface Registry {
  models: ReadonlyMap<string, RegisteredModel>;
}
