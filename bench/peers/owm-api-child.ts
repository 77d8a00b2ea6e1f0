import type * as SessionSettingsModule from '../../src/cli/session-settings.js';
import type * as LocalModelModule from '../../src/runtime/local-model.js';
import type { ReblockSize } from '../../src/runtime/optimize/optimizer-cache-entry.js';
import { measureChatTurn } from './chat-turn.js';
import { childMain } from './child-main.js';
import { importDist } from './dist-module.js';
import { measurePlan } from './measure-plan.js';

// owm's in-process API: LocalModel (the worker the CLI uses), loaded with the settings the CLI
// derives from its default flags (load-time graph optimization included), fed token ids directly.
await childMain('owm api', async (request, log) => {
  const { LocalModel } = await importDist<typeof LocalModelModule>('runtime/local-model.js');
  const { sessionSettings } = await importDist<typeof SessionSettingsModule>('cli/session-settings.js');
  const reblock = request.options?.reblock ? (Number(request.options.reblock) as ReblockSize) : undefined;
  const settings = sessionSettings({ device: 'cpu', threads: request.threads, reblock });
  const model = await LocalModel.load({ dir: request.dir, modelFile: request.modelFile }, settings);
  try {
    const { info } = model;
    const notes = [`loaded ${info.modelPath}`, ...(info.optimization ? [`optimization: ${info.optimization}`] : [])];
    if (info.vocabSize !== request.plan.vocab) notes.push(`owm reads vocabulary ${info.vocabSize}, the plan uses ${request.plan.vocab}`);
    const results = await measurePlan(
      request.plan,
      async (promptIds, genTokens) => {
        const generation = model.generate({
          promptIds,
          ignoreEos: true,
          freshCache: true,
          sampling: { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1 },
          maxTokens: genTokens,
          context: promptIds.length + genTokens + 1,
          stop: [],
          think: 'show',
        });
        for await (const piece of generation) void piece;
        const stats = await generation.stats;
        return { ttftMs: stats.timeToFirstTokenMs, decodeMs: stats.decodeMs, generatedTokens: stats.generatedTokens, tokenIds: stats.tokenIds };
      },
      log,
    );
    const chatTurnReps = Number(request.options?.chatTurnReps ?? 0);
    if (chatTurnReps > 0) log('chat: a second turn, cache reused and not');
    const chatTurn = chatTurnReps > 0 ? await measureChatTurn(model, chatTurnReps) : undefined;
    return { loadMs: info.loadMs, ...results, notes, chatTurn, extra: { modelPath: info.modelPath, optimization: info.optimization ?? 'none' } };
  } finally {
    await model.dispose();
  }
});
