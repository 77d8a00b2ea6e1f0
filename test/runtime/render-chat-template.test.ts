import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { RuntimeError } from '../../src/errors.js';
import { loadChatTemplate } from '../../src/runtime/load-chat-template.js';
import { loadTokenizer, type ModelTokenizer } from '../../src/runtime/load-tokenizer.js';
import { renderChatTemplate, type ChatMessage } from '../../src/runtime/render-chat-template.js';
import { LLAMA3_DIR, QWEN3_DIR } from './tokenizer-fixtures.js';

const CONVERSATIONS: Record<string, ChatMessage[]> = {
  'one user turn': [{ role: 'user', content: 'Hi there! 你好 🎉' }],
  'system and user': [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Name a prime.' },
  ],
  'multi-turn with a reasoning reply': [
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: '<think>\nSimple arithmetic.\n</think>\n\n4' },
    { role: 'user', content: '  And 3+3?  ' },
  ],
};

/** Our prompt ids, and transformers.js' `apply_chat_template` ids, for the same conversation. */
interface Pair {
  tokenizer: ModelTokenizer;
  template: string | null;
  reference: PreTrainedTokenizer;
}

async function pair(dir: string): Promise<Pair> {
  const reference = new PreTrainedTokenizer(
    JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8')),
  );
  return { tokenizer: await loadTokenizer(dir), template: await loadChatTemplate(dir), reference };
}

function compare({ tokenizer, template, reference }: Pair, messages: ChatMessage[], variables: Record<string, unknown> = {}) {
  const prompt = renderChatTemplate({ template, messages, specialTokens: tokenizer.specialTokens, variables });
  const ours = tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens });
  const options = { add_generation_prompt: true, return_tensor: false, return_dict: false, ...variables } as const;
  const text = reference.apply_chat_template(messages, { ...options, tokenize: false }) as unknown as string;
  const theirs = reference.apply_chat_template(messages, options) as unknown as number[];
  assert.equal(prompt.text, text);
  assert.deepEqual(ours, theirs);
  return { prompt, ids: ours };
}

describe('renderChatTemplate matches transformers.js apply_chat_template', () => {
  let qwen3: Pair;
  let llama3: Pair;
  before(async () => {
    [qwen3, llama3] = await Promise.all([pair(QWEN3_DIR), pair(LLAMA3_DIR)]);
  });

  for (const [name, messages] of Object.entries(CONVERSATIONS)) {
    test(`qwen3, ${name}`, () => {
      const { prompt } = compare(qwen3, messages);
      assert.equal(prompt.format, 'template');
      // Default flags: the reply opens its own think block.
      assert.ok(prompt.text.endsWith('<|im_start|>assistant\n'));
      assert.equal(prompt.startsInsideThink, false);
    });

    test(`llama3, ${name}: exactly one BOS`, () => {
      const { ids } = compare(llama3, messages);
      assert.equal(ids[0], 128000);
      assert.equal(ids.filter((id) => id === 128000).length, 1);
    });
  }

  test('qwen3 with enable_thinking: false closes an empty think block', () => {
    const { prompt } = compare(qwen3, CONVERSATIONS['one user turn'] as ChatMessage[], { enable_thinking: false });
    assert.ok(prompt.text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
  });

  test('qwen3 drops the reasoning of earlier replies', () => {
    const { prompt } = compare(qwen3, CONVERSATIONS['multi-turn with a reasoning reply'] as ChatMessage[]);
    assert.ok(!prompt.text.includes('Simple arithmetic'));
  });
});

describe('renderChatTemplate', () => {
  const specialTokens = { bos_token: '<s>', eos_token: '</s>' };
  const messages: ChatMessage[] = [{ role: 'user', content: 'Hi' }];

  test('without a template, joins the contents as plain text to encode with special tokens', () => {
    const prompt = renderChatTemplate({
      template: null,
      messages: [
        { role: 'system', content: 'Once upon a time' },
        { role: 'user', content: 'there was' },
      ],
      specialTokens,
    });
    assert.deepEqual(prompt, {
      text: 'Once upon a time\n\nthere was',
      format: 'plain',
      addSpecialTokens: true,
      startsInsideThink: false,
    });
  });

  test('exposes the special tokens and add_generation_prompt', () => {
    const template = '{{ bos_token }}{{ messages[0].content }}{% if add_generation_prompt %}>{% endif %}{{ eos_token }}';
    assert.equal(renderChatTemplate({ template, messages, specialTokens }).text, '<s>Hi></s>');
    assert.equal(renderChatTemplate({ template, messages, specialTokens, addGenerationPrompt: false }).text, '<s>Hi</s>');
  });

  test('keeps the usual Jinja globals', () => {
    const template = '{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}{{ range(3) | length }}{{ true and not none }}';
    assert.equal(renderChatTemplate({ template, messages, specialTokens }).text, '1353true');
  });

  test('passes tools as none, as transformers does', () => {
    const template = '{% if tools is not none %}tools{% else %}none{% endif %}';
    assert.equal(renderChatTemplate({ template, messages, specialTokens }).text, 'none');
  });

  test('strftime_now gives the date the Llama 3.1 template asks for, in English', () => {
    const template =
      '{%- if not date_string is defined %}{%- if strftime_now is defined %}{%- set date_string = strftime_now("%d %b %Y") %}' +
      '{%- else %}{%- set date_string = "26 Jul 2024" %}{%- endif %}{%- endif %}Today Date: {{ date_string }} | {{ strftime_now("%A %B %-d %Y-%m-%d %H:%M:%S %I%p %%") }}';
    const now = () => new Date(2025, 0, 5, 14, 7, 9);
    assert.equal(
      renderChatTemplate({ template, messages, specialTokens, now }).text,
      'Today Date: 05 Jan 2025 | Sunday January %-d 2025-01-05 14:07:09 02PM %',
    );
    const withDate = renderChatTemplate({ template, messages, specialTokens, now, variables: { date_string: '1 Apr 2024' } });
    assert.ok(withDate.text.startsWith('Today Date: 1 Apr 2024'));
  });

  test('raise_exception becomes a RuntimeError carrying the template message', () => {
    const template = "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}";
    assert.throws(
      () => renderChatTemplate({ template, messages, specialTokens }),
      (error: unknown) =>
        error instanceof RuntimeError && /rejected the conversation: Conversation roles must alternate/.test(error.message),
    );
  });

  test('a template that does not parse is a RuntimeError', () => {
    assert.throws(() => renderChatTemplate({ template: '{% for %}', messages, specialTokens }), RuntimeError);
  });

  test('tells when the prompt leaves a think block open (DeepSeek-R1 distills)', () => {
    const template = "{{ messages[0].content }}<|Assistant|><think>\n";
    assert.equal(renderChatTemplate({ template, messages, specialTokens }).startsInsideThink, true);
  });
});
