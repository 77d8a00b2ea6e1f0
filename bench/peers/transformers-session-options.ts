import type { InferenceSession } from 'onnxruntime-node';

/** The session options owm creates its sessions with (src/runtime/create-session.ts), for transformers.js. */
export function transformersSessionOptions(threads: number): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '1' } } },
  };
}
