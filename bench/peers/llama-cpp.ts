import type { PreparedGguf } from '../prepare-gguf.js';
import { notApplicable, reportPeer, type PeerReport, type PeerTarget } from './peer-target.js';
import { runPeerChild } from './run-peer-child.js';

/** llama.cpp through node-llama-cpp on a GGUF of the same weights, when one could be written. */
export function measureLlamaCpp(target: PeerTarget, gguf: PreparedGguf): Promise<PeerReport> {
  if ('error' in gguf) return Promise.resolve(notApplicable('llama-cpp', gguf.error));
  const { prepared } = target;
  return reportPeer('llama-cpp', () =>
    runPeerChild('./llama-cpp-child.ts', { dir: prepared.dir, modelFile: prepared.modelFile, threads: target.threads, plan: target.plan, options: { gguf: gguf.path } }),
  );
}
