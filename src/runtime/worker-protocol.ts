import type { SessionSettings } from './create-session.js';
import type { TokenPlan, TokenRunStats } from './generate-tokens.js';
import type { ModelLocation } from './load-decoder.js';

/** What the main thread asks the model worker to do. */
export type WorkerRequest =
  | { type: 'load'; location: ModelLocation; settings: SessionSettings; stopFlag: SharedArrayBuffer }
  | { type: 'generate'; plan: TokenPlan };

/** Facts about the decoder the worker loaded, sent once after loading. */
export interface DecoderInfo {
  device: 'cpu' | 'cuda';
  threads: number;
  fallbackReason?: string;
  loadMs: number;
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
  | { type: 'loaded'; info: DecoderInfo }
  | { type: 'token'; id: number }
  | { type: 'done'; stats: TokenRunStats }
  | { type: 'error'; error: SerializedError };
