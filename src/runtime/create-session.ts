import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';
import { cudaProviderInstalled, hasNvidiaGpu, type DeviceRequest } from './expected-device.js';
import type { ReblockSize } from './optimize/index.js';
import { physicalCores } from './physical-cores.js';

/** A created session and where it actually runs. */
export interface CreatedSession {
  session: ort.InferenceSession;
  device: 'cpu' | 'cuda';
  threads: number;
  /** Why `auto` fell back to the CPU, when it did because of a problem worth telling. */
  fallbackReason?: string;
}

/** How to create a session. */
export interface SessionSettings {
  device: DeviceRequest;
  /** Intra-op threads. @default the number of physical cores */
  threads?: number;
  /**
   * Rewrite transformers.js-style graphs into the fused form before loading (CPU only), caching
   * the result in `cacheDir`; `exact` allows only rewrites that keep the outputs, `reblock`
   * re-quantizes 4-bit weights into larger blocks.
   */
  optimize?: { cacheDir: string; exact: boolean; reblock?: ReblockSize };
  /** Let ONNX Runtime's own warnings through to stderr (`--verbose`); otherwise none of its log lines. */
  verbose?: boolean;
}

const CUDA_FIX =
  'install the CUDA provider libraries with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node --foreground-scripts` (needs internet and an NVIDIA driver), or use --device cpu';

/** ONNX Runtime's severities: 2 warning, 4 fatal. Its errors become owm's own one-line errors, so they are not printed twice. */
const LOG_WARNINGS = 2;
const LOG_FATAL = 4;

function sessionOptions(threads: number, providers: ort.InferenceSession.ExecutionProviderConfig[], verbose: boolean): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    logSeverityLevel: verbose ? LOG_WARNINGS : LOG_FATAL,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '1' } } },
  };
}

/**
 * Creates an ONNX Runtime session for `modelPath` (external data files are found beside it) on the
 * requested device: `cuda` fails clearly when CUDA cannot load, `auto` falls back to the CPU.
 */
export async function createSession(modelPath: string, settings: SessionSettings): Promise<CreatedSession> {
  const threads = settings.threads ?? physicalCores();
  const verbose = settings.verbose === true;
  // The process-wide logger prints graph warnings (in colour, whatever stderr is) before any session's own does.
  ort.env.logLevel = verbose ? 'warning' : 'fatal';
  const wantsCuda = settings.device === 'cuda' || (settings.device === 'auto' && hasNvidiaGpu());
  let fallbackReason: string | undefined;
  if (wantsCuda) {
    try {
      if (!cudaProviderInstalled()) throw new Error('the CUDA provider libraries of onnxruntime-node are not installed');
      const session = await ort.InferenceSession.create(modelPath, sessionOptions(threads, [{ name: 'cuda', deviceId: 0 }], verbose));
      return { session, device: 'cuda', threads };
    } catch (error) {
      const reason = firstLine(error);
      if (settings.device === 'cuda') {
        throw new RuntimeError(`CUDA is not available (${reason}): ${CUDA_FIX}.`, { code: 'cuda-unavailable', cause: error });
      }
      fallbackReason = `CUDA is not available (${reason}); running on the CPU`;
    }
  }
  try {
    const session = await ort.InferenceSession.create(modelPath, sessionOptions(threads, ['cpu'], verbose));
    return { session, device: 'cpu', threads, fallbackReason };
  } catch (error) {
    throw sessionError(modelPath, error);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].replace(/\s+$/, '');
}

function sessionError(modelPath: string, error: unknown): RuntimeError {
  const message = firstLine(error);
  if (/bad_alloc|out of memory|Failed to allocate/i.test(message)) {
    return new RuntimeError(`Not enough memory to load ${path.basename(modelPath)}: close other programs, or pull a smaller variant (e.g. --variant q4).`, {
      code: 'out-of-memory',
      cause: error,
    });
  }
  if (/external data|\.onnx_data|\.onnx\.data|No such file/i.test(message)) {
    return new RuntimeError(`${modelPath} references weights that are missing (${message}): pull the model again.`, {
      code: 'missing-files',
      cause: error,
    });
  }
  return new RuntimeError(`ONNX Runtime cannot load ${modelPath} (${message}): the file may be damaged (try \`owm verify\`) or use operators this onnxruntime-node does not have.`, {
    code: 'load-failed',
    cause: error,
  });
}
