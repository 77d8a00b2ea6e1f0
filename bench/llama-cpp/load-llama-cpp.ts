import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel } from 'node-llama-cpp';

/** How to load a GGUF file into llama.cpp on the CPU. */
export interface LlamaCppSettings {
  ggufPath: string;
  /** Threads for prefill and decode alike. */
  threads: number;
  /** Tokens the context must hold (llama.cpp rounds up to a multiple of 256). */
  contextSize: number;
  /** Most tokens evaluated in one batch; a prompt this long prefills in one `llama_decode`. @default contextSize */
  batchSize?: number;
  /** @default 'auto' (node-llama-cpp's default: on where the model and backend support it) */
  flashAttention?: boolean | 'auto';
  /** KV cache element type. @default 'F16' (llama.cpp's default) */
  kvCacheType?: 'F16' | 'F32';
}

/** A model loaded into llama.cpp with one context and its only sequence. */
export interface LoadedLlamaCpp {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  /** Rows of the embedding, i.e. the ids a prompt may use. */
  vocabSize: number;
  /** Milliseconds spent starting the llama.cpp binding (`getLlama`): 0 after the first load in a process. */
  initMs: number;
  /**
   * Milliseconds spent in `loadModel`: node-llama-cpp parsing the GGUF header in JS and simulating
   * the load, then llama.cpp loading the vocabulary and mapping the file (pages are read on first
   * use, or come from the page cache).
   */
  loadMs: number;
  /** Milliseconds spent in `createContext` (KV cache and compute buffers). */
  contextMs: number;
  /** llama.cpp's warnings and errors while loading and running, and node-llama-cpp's checks of the model. */
  warnings: string[];
  /** Frees the model and its context (the binding stays for the next load). */
  dispose(): Promise<void>;
}

let binding: Promise<Llama> | undefined;
let collectLog: ((message: string) => void) | undefined;

/**
 * The process's one CPU binding, started on first use and kept: starting it takes about half a
 * second, and llama.cpp's log callback is process-wide anyway.
 */
function cpuBinding(): Promise<Llama> {
  binding ??= getLlama({
    gpu: false,
    build: 'never',
    // No cap: a context's thread count is then the one used, not a hint.
    maxThreads: 0,
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      if (level === LlamaLogLevel.warn || level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) collectLog?.(message.trim());
    },
  }).catch((error: unknown) => {
    binding = undefined;
    throw error;
  });
  return binding;
}

/**
 * Loads `ggufPath` with node-llama-cpp's prebuilt CPU binding (never building llama.cpp), all
 * layers on the CPU, exactly `threads` threads. llama.cpp's log goes to the `warnings` of the
 * model loaded last, never to the terminal.
 */
export async function loadLlamaCpp(settings: LlamaCppSettings): Promise<LoadedLlamaCpp> {
  const warnings: string[] = [];
  const collect = (message: string): void => void warnings.push(message);
  collectLog = collect;
  const stopCollecting = (): void => {
    if (collectLog === collect) collectLog = undefined;
  };
  let started = performance.now();
  const llama = await cpuBinding();
  const initMs = performance.now() - started;
  let model: LlamaModel | undefined;
  try {
    started = performance.now();
    // The safety checks simulate loads to size memory: seconds with a full vocabulary, and the
    // benchmark sizes are known to fit.
    model = await llama.loadModel({ modelPath: settings.ggufPath, gpuLayers: 0, ignoreMemorySafetyChecks: true });
    const loadMs = performance.now() - started;
    warnings.push(...model.getWarnings());
    started = performance.now();
    const context = await model.createContext({
      contextSize: settings.contextSize,
      batchSize: settings.batchSize ?? settings.contextSize,
      threads: settings.threads,
      flashAttention: settings.flashAttention ?? 'auto',
      ...(settings.kvCacheType === 'F32' && { experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' }),
      failedCreationRemedy: false,
      ignoreMemorySafetyChecks: true,
    });
    const contextMs = performance.now() - started;
    const loadedModel = model;
    return {
      llama,
      model,
      context,
      sequence: context.getSequence(),
      vocabSize: Array.from(model.iterateAllTokens()).length,
      initMs,
      loadMs,
      contextMs,
      warnings,
      dispose: async () => {
        stopCollecting();
        await loadedModel.dispose();
      },
    };
  } catch (error) {
    stopCollecting();
    await model?.dispose();
    throw error;
  }
}
