import { reportPeer, type PeerReport, type PeerTarget } from './peer-target.js';
import { runPeerChild } from './run-peer-child.js';

/**
 * The floor: a bare greedy loop over an ONNX Runtime session with owm's session options, on
 * `graph` (the graph owm loaded, which may be an optimized copy), in a child process of its own.
 */
export function measureFloor(target: PeerTarget, graph: string): Promise<PeerReport> {
  const { prepared } = target;
  return reportPeer('floor', () =>
    runPeerChild('./floor-child.ts', { dir: prepared.dir, modelFile: prepared.modelFile, threads: target.threads, plan: target.plan, options: { graph } }),
  );
}
