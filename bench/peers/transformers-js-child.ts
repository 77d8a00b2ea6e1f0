import { AutoModelForCausalLM, BaseStreamer, env, Tensor, type TextStreamer } from '@huggingface/transformers';
import { childMain } from './child-main.js';
import { measurePlan } from './measure-plan.js';
import type { TimedGeneration } from './peer-protocol.js';
import { transformersSessionOptions } from './transformers-session-options.js';

/** Records when `generate` hands over each new token (the first call carries the prompt). */
class TimingStreamer extends BaseStreamer {
  readonly tokenTimes: number[] = [];
  readonly tokenIds: number[] = [];
  private sawPrompt = false;

  override put(value: bigint[][]): void {
    if (!this.sawPrompt) {
      this.sawPrompt = true;
      return;
    }
    this.tokenTimes.push(performance.now());
    this.tokenIds.push(Number(value[0][0]));
  }

  override end(): void {}
}

// transformers.js on the same folder: its own generate() loop, greedy, end-of-sequence ignored.
await childMain('transformers.js', async (request, log) => {
  const dtype = request.options?.dtype;
  if (dtype !== 'fp32' && dtype !== 'q4') throw new Error(`transformers.js peer: unsupported dtype ${dtype}`);
  env.allowRemoteModels = false;
  const started = performance.now();
  const model = await AutoModelForCausalLM.from_pretrained(request.dir, {
    local_files_only: true,
    dtype,
    session_options: transformersSessionOptions(request.threads),
  });
  const loadMs = performance.now() - started;
  try {
    const generate = async (promptIds: number[], genTokens: number): Promise<TimedGeneration> => {
      const streamer = new TimingStreamer();
      const begun = performance.now();
      await model.generate({
        input_ids: new Tensor('int64', BigInt64Array.from(promptIds, BigInt), [1, promptIds.length]),
        attention_mask: new Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), [1, promptIds.length]),
        max_new_tokens: genTokens,
        do_sample: false,
        // No end-of-sequence id: every run decodes genTokens tokens.
        eos_token_id: [],
        // The typings intersect the parameter with the config's TextStreamer; generate() calls only put and end.
        streamer: streamer as unknown as TextStreamer,
      });
      const times = streamer.tokenTimes;
      return { ttftMs: times[0] - begun, decodeMs: times[times.length - 1] - times[0], generatedTokens: times.length, tokenIds: streamer.tokenIds };
    };
    const results = await measurePlan(request.plan, generate, log);
    return { loadMs, ...results, notes: [`transformers.js dtype ${dtype}`] };
  } finally {
    await model.dispose();
  }
});
