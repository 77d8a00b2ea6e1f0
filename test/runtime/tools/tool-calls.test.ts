import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadXgrammar } from '../../../src/runtime/grammar/load-xgrammar.js';
import { detectToolCallFormat, toolCallGrammar, ToolCallParser, type ToolCallFormat, type ToolChoice } from '../../../src/runtime/tools/index.js';

const WEATHER = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 20 }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'], additionalProperties: false },
};
const TIME = { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } };

const HERMES = detectToolCallFormat('{% if tools %}<tool_call>{% endif %}') as ToolCallFormat;
const LLAMA3 = detectToolCallFormat('{% if tools %}<|python_tag|>{{ ipython }}{% endif %}') as ToolCallFormat;
const MISTRAL = detectToolCallFormat('{% if tools %}[AVAILABLE_TOOLS]{% endif %}[TOOL_CALLS]') as ToolCallFormat;

async function accepts(format: ToolCallFormat, choice: ToolChoice, text: string, single = false): Promise<boolean> {
  const spec = await toolCallGrammar(format, [WEATHER, TIME], choice, single);
  assert.ok(spec?.type === 'structural-tag');
  const xgrammar = await loadXgrammar();
  const grammar = await xgrammar.Grammar.fromStructuralTag(spec.tag);
  return xgrammar.Testings.isGrammarAcceptString(grammar, text);
}

/** Feeds `text` to a parser in pieces of `size` characters. */
function parseInPieces(format: ToolCallFormat, text: string, size: number): { content: string; calls: Array<{ name: string; arguments: unknown }> } {
  const parser = new ToolCallParser(format);
  let content = '';
  const calls: Array<{ name: string; arguments: unknown }> = [];
  for (let at = 0; at < text.length; at += size) {
    const piece = parser.push(text.slice(at, at + size));
    content += piece.content;
    calls.push(...piece.calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown })));
  }
  const rest = parser.flush();
  content += rest.content;
  calls.push(...rest.calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown })));
  return { content, calls };
}

describe('tool-call formats', () => {
  test('templates are told apart by what they teach; one without tools has no format', () => {
    assert.equal(HERMES.name, 'hermes');
    assert.equal(LLAMA3.name, 'llama3');
    assert.equal(MISTRAL.name, 'mistral');
    assert.equal(detectToolCallFormat('{{ messages[0].content }}'), undefined);
    assert.equal(detectToolCallFormat(null), undefined);
  });

  test('the grammar: required means calls only, a named tool exactly that one, auto free text with valid calls', async () => {
    const call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "c"}}\n</tool_call>';
    assert.equal(await accepts(HERMES, 'required', call), true);
    assert.equal(await accepts(HERMES, 'required', `${call}\n${call}`), true, 'parallel calls');
    assert.equal(await accepts(HERMES, 'required', `${call}\n${call}`, true), false, 'parallel_tool_calls: false');
    assert.equal(await accepts(HERMES, 'required', 'Sure! ' + call), false, 'no text around required calls');
    assert.equal(await accepts(HERMES, 'required', call.replace('"c"', '"kelvin"')), false, 'arguments validate');
    assert.equal(await accepts(HERMES, 'required', call.replace('get_weather', 'get_stock')), false, 'only declared tools');
    assert.equal(await accepts(HERMES, { name: 'get_time' }, call), false, 'the named tool only');
    assert.equal(await accepts(HERMES, { name: 'get_time' }, '<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>'), true);
    assert.equal(await accepts(HERMES, 'auto', 'It is sunny.'), true);
    assert.equal(await accepts(HERMES, 'auto', `Let me check. ${call}`), true);
    assert.equal(await accepts(LLAMA3, 'required', '{"name": "get_time", "parameters": {"zone": "UTC"}}'), true);
    assert.equal(await accepts(MISTRAL, 'required', '[TOOL_CALLS][{"name": "get_time", "arguments": {"zone": "UTC"}}]'), true);
    assert.equal(await toolCallGrammar(HERMES, [WEATHER], 'none'), undefined);
    await assert.rejects(toolCallGrammar(HERMES, [WEATHER], { name: 'nope' }), /tool_choice names nope/);
    await assert.rejects(toolCallGrammar(HERMES, [{ name: 'bad', parameters: { type: 'strin' } }], 'required'), /parameters of tool bad cannot be used/);
  });

  for (const size of [1, 3, 1000]) {
    test(`the parser, fed ${size} characters at a time, splits text from calls and holds back partial markers`, () => {
      const hermes = parseInPieces(
        HERMES,
        'Checking <tool>s. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "c"}}\n</tool_call>\n<tool_call>\n{"name": "get_time", "arguments": {"zone": "UTC"}}\n</tool_call>',
        size,
      );
      assert.equal(hermes.content, 'Checking <tool>s. \n');
      assert.deepEqual(hermes.calls, [
        { name: 'get_weather', arguments: { city: 'Oslo', unit: 'c' } },
        { name: 'get_time', arguments: { zone: 'UTC' } },
      ]);
      const llama = parseInPieces(LLAMA3, '{"name": "get_time", "parameters": {"zone": "UTC"}}', size);
      assert.deepEqual(llama, { content: '', calls: [{ name: 'get_time', arguments: { zone: 'UTC' } }] });
      const mistral = parseInPieces(MISTRAL, '[{"name": "get_time", "arguments": {"zone": "UTC"}}, {"name": "get_time", "arguments": {"zone": "CET"}}]', size);
      assert.deepEqual(mistral.calls.map((call) => call.arguments), [{ zone: 'UTC' }, { zone: 'CET' }]);
      assert.deepEqual(parseInPieces(HERMES, 'no calls, just <tool_c', size), { content: 'no calls, just <tool_c', calls: [] });
      assert.deepEqual(parseInPieces(HERMES, '<tool_call>not json</tool_call>', size), { content: '<tool_call>not json</tool_call>', calls: [] });
    });
  }

  test('call ids: OpenAI style, and nine letters or digits for Mistral', () => {
    assert.match(HERMES.newCallId(), /^call_[0-9a-f]{24}$/);
    assert.match(MISTRAL.newCallId(), /^[A-Za-z0-9]{9}$/);
  });
});
