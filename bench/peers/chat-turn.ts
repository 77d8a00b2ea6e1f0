import type { GenerationStats } from '../../src/runtime/generate-text.js';
import type * as LocalModelModule from '../../src/runtime/local-model.js';
import { spread } from '../../src/runtime/measure-speed.js';
import type { ChatTurnTimes } from './peer-protocol.js';

type LocalModel = LocalModelModule.LocalModel;
type Message = { role: 'user' | 'assistant'; content: string };

const GREEDY = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1 };
// About 2,000 tokens in the SmolLM2 and Qwen tokenizers.
const FIRST_MESSAGE = Array.from({ length: 130 }, (_, i) => `Note ${i}: the river rose after the spring rain and the bridge stayed closed.`).join(' ');
const REPLY_TOKENS = 16;

/**
 * A chat's second turn: after a long first exchange, the time to the first token of the answer
 * to a short follow-up, with the cached conversation reused (as `owm run` chats do) and with the
 * cache ignored (the whole conversation prefilled again), alternately, `reps` times each.
 */
export async function measureChatTurn(model: LocalModel, reps: number): Promise<ChatTurnTimes> {
  const answer = async (messages: Message[], freshCache: boolean): Promise<{ text: string; stats: GenerationStats }> => {
    const generation = model.generate({ messages, sampling: GREEDY, maxTokens: REPLY_TOKENS, stop: [], think: 'show', freshCache });
    let text = '';
    for await (const piece of generation) text += piece;
    return { text, stats: await generation.stats };
  };
  const reuse: number[] = [];
  const fresh: number[] = [];
  let conversationTokens = 0;
  let reusedTokens = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (const freshCache of [false, true]) {
      const first: Message[] = [{ role: 'user', content: FIRST_MESSAGE }];
      const reply = await answer(first, true);
      const second = await answer([...first, { role: 'assistant', content: reply.text }, { role: 'user', content: 'And what happened next?' }], freshCache);
      (freshCache ? fresh : reuse).push(second.stats.timeToFirstTokenMs);
      conversationTokens = second.stats.promptTokens;
      if (!freshCache) reusedTokens = second.stats.reusedPromptTokens;
    }
  }
  return { conversationTokens, reusedTokens, reuseTtftMs: spread(reuse), freshTtftMs: spread(fresh) };
}
