import { reportPeer, type PeerReport, type PeerTarget } from './peer-target.js';
import { runPeerChild } from './run-peer-child.js';

/** owm's in-process API (`LocalModel.load` + `generate({promptIds})`), in a child process of its own. */
export function measureOwmApi(target: PeerTarget): Promise<PeerReport> {
  const { prepared } = target;
  return reportPeer('owm-api', () =>
    runPeerChild('./owm-api-child.ts', {
      dir: prepared.dir,
      modelFile: prepared.modelFile,
      threads: target.threads,
      plan: target.plan,
      options: { chatTurnReps: String(target.chatTurnReps ?? 0) },
    }),
  );
}
