import type { Spread } from '../../src/runtime/measure-speed.js';

/** One prompt length to measure, and how many times. */
export interface PlannedRun {
  promptLength: number;
  reps: number;
}

/**
 * What every peer measures, identically: each run feeds `benchmarkPromptIds(promptLength, vocab)`
 * and decodes `genTokens` tokens greedily, end-of-sequence ignored.
 */
export interface MeasurePlan {
  runs: PlannedRun[];
  genTokens: number;
  /** Token ids are drawn from [0, vocab). */
  vocab: number;
}

/** What a peer's child process is asked to measure. */
export interface PeerRequest {
  /** The model folder (transformers.js layout or the genai variant folder). */
  dir: string;
  /** The ONNX graph relative to `dir`. */
  modelFile: string;
  threads: number;
  plan: MeasurePlan;
  /** Peer-specific settings (a graph to use instead, a GGUF file, a transformers.js dtype). */
  options?: Record<string, string>;
}

/** The timings of one greedy generation, in the loop's own clock. */
export interface TimedGeneration {
  /** From the call to the first generated token id (prefill and first sample). */
  ttftMs: number;
  /** From the first generated token to the last. */
  decodeMs: number;
  generatedTokens: number;
  tokenIds: number[];
}

/** One prompt length, summarized over its repetitions. */
export interface RunResult {
  promptLength: number;
  genTokens: number;
  ttftMs: Spread;
  /** Prompt tokens / time to first token. */
  prefillTokensPerSecond: Spread;
  /** (generated − 1) / time from the first to the last token. */
  decodeTokensPerSecond: Spread;
}

/** What a peer's child process reports: one JSON line on stdout. */
export interface PeerMeasurement {
  loadMs: number;
  /** The child's maxRSS: the peer's peak memory, runtime and model included. */
  peakRssBytes: number;
  runs: RunResult[];
  /** The greedy ids of the first run, to see whether peers decode the same tokens. */
  firstTokens: number[];
  /** Facts worth a footnote (the graph loaded, an optimization applied). */
  notes: string[];
  /** Peer-specific values the parent needs (the graph owm loaded). */
  extra?: Record<string, string>;
  /** owm API only: a chat's second turn with and without the cached conversation. */
  chatTurn?: ChatTurnTimes;
}

/** Time to the first token of a chat's second turn, the conversation's cache reused or not. */
export interface ChatTurnTimes {
  /** Prompt tokens of the second turn (the whole conversation). */
  conversationTokens: number;
  /** How many of them the cache already held. */
  reusedTokens: number;
  reuseTtftMs: Spread;
  freshTtftMs: Spread;
}
