import type { SessionSettings } from './create-session.js';
import type { GenerationRequest, GenerationStats } from './generate-text.js';
import type { ModelLocation } from './load-model-files.js';

/** What the main thread asks the model worker to do. */
export type WorkerRequest =
  | { type: 'load'; location: ModelLocation; settings: SessionSettings; stopFlag: SharedArrayBuffer }
  | { type: 'generate'; request: GenerationRequest };

/** Facts about a loaded model, sent once after loading. */
export interface ModelInfo {
  device: 'cpu' | 'cuda';
  threads: number;
  fallbackReason?: string;
  loadMs: number;
  contextLength?: number;
  chatTemplate: boolean;
  eosTokenIds: number[];
  /** Sampling settings from the model's generation_config.json. */
  sampling: GenerationRequest['sampling'] extends infer S ? Partial<S> : never;
  maxNewTokens?: number;
  /** Token ids the model can be fed: [0, vocabSize). */
  vocabSize: number;
  /** The graph that was loaded (after optimization, when one applied). */
  modelPath: string;
  /** What the load-time optimizer did, for --verbose. */
  optimization?: string;
}

/** An error crossing the thread boundary, rebuilt as an OwmError on the main thread. */
export interface SerializedError {
  message: string;
  code?: string;
  exitCode?: number;
  owm: boolean;
  stack?: string;
}

/** What the worker reports back. */
export type WorkerReply =
  | { type: 'loaded'; info: ModelInfo }
  | { type: 'text'; text: string }
  | { type: 'done'; stats: GenerationStats }
  | { type: 'error'; error: SerializedError };
