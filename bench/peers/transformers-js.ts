import { fileURLToPath } from 'node:url';
import { measureColdStart } from './time-to-first-byte.js';
import { notApplicable, reportPeer, type PeerReport, type PeerTarget } from './peer-target.js';
import { runPeerChild } from './run-peer-child.js';
import { transformersSessionOptions } from './transformers-session-options.js';

const COLD_SCRIPT = fileURLToPath(new URL('./transformers-js-cold.mjs', import.meta.url));

/**
 * transformers.js on the same folder: warm numbers from its `generate()` in a child process, cold
 * time to first token from a fresh process that loads the model and prints one greedy token.
 */
export function measureTransformersJs(target: PeerTarget): Promise<PeerReport> {
  const { prepared, threads } = target;
  const dtype = prepared.model.transformersDtype;
  if (dtype === null) return Promise.resolve(notApplicable('transformers-js', 'transformers.js cannot load the onnxruntime-genai layout'));
  const coldArgs = { dir: prepared.dir, dtype, prompt: target.coldPrompt, sessionOptions: transformersSessionOptions(threads) };
  return reportPeer(
    'transformers-js',
    () => runPeerChild('./transformers-js-child.ts', { dir: prepared.dir, modelFile: prepared.modelFile, threads, plan: target.plan, options: { dtype } }),
    target.coldReps > 0 ? () => measureColdStart({ command: process.execPath, args: [COLD_SCRIPT, JSON.stringify(coldArgs)] }, target.coldReps) : undefined,
  );
}
