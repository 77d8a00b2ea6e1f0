import type { ReblockSize } from '../../src/runtime/optimize/optimizer-cache-entry.js';
import { reportPeer, type PeerReport, type PeerTarget } from './peer-target.js';
import { runPeerChild } from './run-peer-child.js';

/** owm's in-process API (`LocalModel.load` + `generate({promptIds})`), in a child process of its own; `reblock` as `--reblock` gives it. */
export function measureOwmApi(target: PeerTarget, reblock?: ReblockSize): Promise<PeerReport> {
  const { prepared } = target;
  return reportPeer('owm-api', () =>
    runPeerChild('./owm-api-child.ts', {
      dir: prepared.dir,
      modelFile: prepared.modelFile,
      threads: target.threads,
      plan: target.plan,
      options: { chatTurnReps: String(target.chatTurnReps ?? 0), ...(reblock ? { reblock: String(reblock) } : {}) },
    }),
  );
}
