import type { SessionSettings } from './create-session.js';
import type { SampledToken, TokenPlan, TokenRunStats } from './generate-tokens.js';
import type { ModelLocation } from './load-decoder.js';

/** What the main thread asks the model worker to do. */
export type WorkerRequest =
  /** `batching`: advance the sequences of owm's fused graphs together, one forward pass per step. */
  | { type: 'load'; location: ModelLocation; settings: SessionSettings; batching: boolean }
  /**
   * Starts a token loop on `slot`'s KV cache. `stopFlag` (one Int32) is this request's own: the
   * worker checks it between steps, so the main thread can stop it without waiting for a message.
   */
  | { type: 'generate'; requestId: number; slot: number; plan: TokenPlan; stopFlag: SharedArrayBuffer }
  /** Frees the session once every running loop has ended (they should have been stopped first). */
  | { type: 'unload' };

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
  /** Problems that did not stop the load, for one warning line each. */
  warnings: string[];
  /** True when concurrent sequences decode in batches (owm's fused graphs, --parallel above 1). */
  batching: boolean;
}

/** An error crossing the thread boundary, rebuilt as an OwmError on the main thread. */
export interface SerializedError {
  message: string;
  code?: string;
  owm: boolean;
  stack?: string;
}

/** What the worker reports back; replies about a generation carry its request id. */
export type WorkerReply =
  | { type: 'loaded'; info: DecoderInfo }
  | { type: 'token'; requestId: number; token: SampledToken }
  | { type: 'done'; requestId: number; stats: TokenRunStats }
  | { type: 'error'; requestId?: number; error: SerializedError }
  | { type: 'unloaded' };
