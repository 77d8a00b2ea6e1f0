import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { createSandbox, runOwm } from '../support/run-owm.js';
import { serveOwm, type ServedOwm } from '../support/serve-owm.js';
import { TINY, writeSyntheticModel, type SyntheticTokenizer } from '../support/synthetic-model/index.js';

/** Temperature 1 over the whole vocabulary of a random-weight model: the worst writer there is. */
const WILD = { temperature: 1, top_p: 1 };

const ORDER_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1, maximum: 9999 },
    status: { enum: ['open', 'paid', 'shipped'] },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: {
        type: 'object',
        properties: { sku: { type: 'string', pattern: '^[A-Z]{3}[0-9]{2}$' }, qty: { type: 'integer', minimum: 1, maximum: 9 } },
        required: ['sku', 'qty'],
        additionalProperties: false,
      },
    },
    note: { type: 'string', maxLength: 16 },
  },
  required: ['id', 'status', 'items', 'note'],
  additionalProperties: false,
};

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 24 }, unit: { enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit', 'days'],
      additionalProperties: false,
    },
  },
};
const TIME_TOOL = {
  type: 'function' as const,
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 12 } }, required: ['zone'], additionalProperties: false } },
};

/** Llama 3.1/3.2's tool format, condensed: tools in the first user turn, calls as {"name", "parameters"}, results as ipython turns. */
const LLAMA31_TOOLS_TEMPLATE = String.raw`{{- bos_token }}
{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}{%- set messages = messages[1:] %}{%- else %}{%- set system_message = '' %}{%- endif %}
{{- '<|start_header_id|>system<|end_header_id|>

' }}
{%- if tools is not none %}{{- 'Environment: ipython
' }}{%- endif %}
{{- system_message + '<|eot_id|>' }}
{%- if tools is not none %}
{{- '<|start_header_id|>user<|end_header_id|>

Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.

Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}. Do not use variables.

' }}
{%- for t in tools %}{{- t | tojson }}{{- '

' }}{%- endfor %}
{{- messages[0]['content'] + '<|eot_id|>' }}{%- set messages = messages[1:] %}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'tool' %}{{- '<|start_header_id|>ipython<|end_header_id|>

' + message.content + '<|eot_id|>' }}
{%- elif message.tool_calls is defined %}{%- set call = message.tool_calls[0].function %}{{- '<|start_header_id|>assistant<|end_header_id|>

{"name": "' + call.name + '", "parameters": ' + (call.arguments | tojson) + '}<|eot_id|>' }}
{%- else %}{{- '<|start_header_id|>' + message.role + '<|end_header_id|>

' + message.content + '<|eot_id|>' }}{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>

' }}{%- endif %}`;

function writeModel(tokenizer: SyntheticTokenizer, seed: number): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-structured-')), tokenizer);
  writeSyntheticModel(dir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer, seed });
  return dir;
}

describe('structured output and tool calls through owm serve and owm run', () => {
  let env: NodeJS.ProcessEnv;
  let qwenDir: string;
  let server: ServedOwm;
  let openai: OpenAI;
  let ollama: Ollama;
  const validateOrder = new Ajv().compile(ORDER_SCHEMA);
  const validateWeather = new Ajv().compile(WEATHER_TOOL.function.parameters);

  before(async () => {
    qwenDir = writeModel('qwen', 5);
    // Llama 3's template in the tokenizer package takes no tools.
    const llamaDir = writeModel('llama', 6);
    const llama31Dir = writeModel('llama', 7);
    const configFile = path.join(llama31Dir, 'tokenizer_config.json');
    writeFileSync(configFile, JSON.stringify({ ...(JSON.parse(readFileSync(configFile, 'utf8')) as object), chat_template: LLAMA31_TOOLS_TEMPLATE }));
    ({ env } = await createSandbox());
    server = await serveOwm(['--model', `qwen=${qwenDir}`, '--model', `llama=${llamaDir}`, '--model', `llama31=${llama31Dir}`, '--parallel', '2'], env);
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    ollama = new Ollama({ host: server.url });
  });
  after(async () => {
    await server?.stop();
  });

  test('response_format json_schema: every seed at temperature 1 validates, plain and streamed', async () => {
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'order', schema: ORDER_SCHEMA, strict: true } };
    for (let seed = 1; seed <= 5; seed++) {
      const completion = await openai.chat.completions.create({ model: 'qwen', messages: [{ role: 'user', content: 'An order, please.' }], response_format, seed, ...WILD, max_tokens: 300 });
      const text = completion.choices[0]?.message.content ?? '';
      assert.equal(completion.choices[0]?.finish_reason, 'stop', text);
      assert.ok(validateOrder(JSON.parse(text)), `seed ${seed}: ${text}`);
    }
    const stream = await openai.chat.completions.create({ model: 'qwen', messages: [{ role: 'user', content: 'Stream an order.' }], response_format, seed: 9, ...WILD, max_tokens: 300, stream: true });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    assert.ok(validateOrder(JSON.parse(streamed)), streamed);
  });

  test('json_object parses or ends with finish_reason length; a bad schema is a 400 naming the problem', async () => {
    const completion = await openai.chat.completions.create({ model: 'qwen', messages: [{ role: 'user', content: 'JSON!' }], response_format: { type: 'json_object' }, seed: 3, ...WILD, max_tokens: 40 });
    const choice = completion.choices[0];
    if (choice?.finish_reason === 'stop') assert.equal(typeof JSON.parse(choice.message.content ?? ''), 'object');
    else assert.equal(choice?.finish_reason, 'length');
    assert.ok(choice?.message.content?.startsWith('{'));
    const error = await openai.chat.completions
      .create({ model: 'qwen', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'strin' } } } })
      .then(() => assert.fail('expected a 400'), (caught: unknown) => caught);
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 400);
    assert.match(error.message, /response_format\.json_schema\.schema cannot be used: Unsupported type "strin"/);
  });

  test('Ollama format: a schema validates, "json" parses', async () => {
    const shaped = await ollama.chat({ model: 'qwen', messages: [{ role: 'user', content: 'Order?' }], format: ORDER_SCHEMA, options: { temperature: 1, seed: 4, num_predict: 300 } });
    assert.ok(validateOrder(JSON.parse(shaped.message.content)), shaped.message.content);
    const generated = await ollama.generate({ model: 'qwen', prompt: 'JSON', format: 'json', options: { temperature: 0, num_predict: 200 } });
    const response = generated.response ?? '';
    if (generated.done_reason === 'stop') assert.equal(typeof JSON.parse(response), 'object');
    assert.ok(response.startsWith('{'), response);
  });

  test('tool_choice required and named: calls of declared tools whose arguments validate, finish_reason tool_calls', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const completion = await openai.chat.completions.create({
        model: 'qwen',
        messages: [{ role: 'user', content: 'Weather in Oslo?' }],
        tools: [WEATHER_TOOL, TIME_TOOL],
        tool_choice: 'required',
        seed,
        ...WILD,
        max_tokens: 400,
      });
      const choice = completion.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls');
      const calls = choice?.message.tool_calls ?? [];
      assert.ok(calls.length >= 1);
      for (const call of calls) {
        assert.equal(call.type, 'function');
        assert.match(call.id, /^call_/);
        if (call.type !== 'function') continue;
        assert.ok(['get_weather', 'get_time'].includes(call.function.name));
        const args: unknown = JSON.parse(call.function.arguments);
        if (call.function.name === 'get_weather') assert.ok(validateWeather(args), call.function.arguments);
      }
    }
    const named = await openai.chat.completions.create({
      model: 'qwen',
      messages: [{ role: 'user', content: 'What time is it?' }],
      tools: [WEATHER_TOOL, TIME_TOOL],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      seed: 2,
      ...WILD,
      max_tokens: 200,
    });
    const calls = named.choices[0]?.message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.type === 'function' ? calls[0].function.name : '', 'get_time');
  });

  test('Llama 3.x JSON calls: {"name", "parameters"} parsed into tool_calls, and a call round-trips as an ipython turn', async () => {
    const completion = await openai.chat.completions.create({
      model: 'llama31',
      messages: [{ role: 'user', content: 'Weather in Oslo for three days?' }],
      tools: [WEATHER_TOOL, TIME_TOOL],
      tool_choice: 'required',
      seed: 3,
      ...WILD,
      max_tokens: 300,
    });
    const choice = completion.choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    assert.equal(choice?.message.content, null);
    const call = choice?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    const args: unknown = JSON.parse(call.function.arguments);
    if (call.function.name === 'get_weather') assert.ok(validateWeather(args), call.function.arguments);
    else assert.equal(call.function.name, 'get_time');
    const followUp = await openai.chat.completions.create({
      model: 'llama31',
      messages: [{ role: 'user', content: 'Weather in Oslo for three days?' }, choice?.message as OpenAI.ChatCompletionMessageParam, { role: 'tool', tool_call_id: call.id, content: '{"sky": "snow"}' }],
      tools: [WEATHER_TOOL, TIME_TOOL],
      max_tokens: 3,
      temperature: 0,
    });
    assert.ok((followUp.usage?.prompt_tokens ?? 0) > (completion.usage?.prompt_tokens ?? 0) + 10);
  });

  test('streamed tool-call deltas add up to the same call as the plain answer', async () => {
    const request = {
      model: 'qwen',
      messages: [{ role: 'user' as const, content: 'Weather?' }],
      tools: [WEATHER_TOOL],
      tool_choice: 'required' as const,
      seed: 7,
      ...WILD,
      max_tokens: 300,
    };
    const plain = await openai.chat.completions.create(request);
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    const streamed: Array<{ name: string; arguments: string }> = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        const call = (streamed[delta.index] ??= { name: '', arguments: '' });
        call.name += delta.function?.name ?? '';
        call.arguments += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    const plainCalls = (plain.choices[0]?.message.tool_calls ?? []).map((call) => (call.type === 'function' ? { name: call.function.name, arguments: call.function.arguments } : undefined));
    assert.deepEqual(streamed, plainCalls);
  });

  test('a tool result round-trips into the template; tools on a model whose template has none are a 400 naming it', async () => {
    const question = { role: 'user' as const, content: 'Weather in Oslo?' };
    const withResult = await openai.chat.completions.create({
      model: 'qwen',
      messages: [
        question,
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Oslo", "unit": "celsius", "days": 1}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temperature": -3, "sky": "snow"}' },
      ],
      tools: [WEATHER_TOOL],
      max_tokens: 4,
      temperature: 0,
    });
    const without = await openai.chat.completions.create({ model: 'qwen', messages: [question], tools: [WEATHER_TOOL], max_tokens: 4, temperature: 0 });
    const added = (withResult.usage?.prompt_tokens ?? 0) - (without.usage?.prompt_tokens ?? 0);
    // The call's arguments and the result, each wrapped in the template's tags.
    assert.ok(added > 30, `the tool call and its result reached the prompt (${added} tokens more)`);

    const refused = await openai.chat.completions
      .create({ model: 'llama', messages: [question], tools: [WEATHER_TOOL] })
      .then(() => assert.fail('expected a 400'), (caught: unknown) => caught);
    assert.ok(refused instanceof OpenAI.APIError);
    assert.equal(refused.status, 400);
    assert.match(refused.message, /llama cannot call tools/);
    const none = await openai.chat.completions.create({ model: 'llama', messages: [question], tools: [WEATHER_TOOL], tool_choice: 'none', max_tokens: 2 });
    assert.equal(none.choices[0]?.message.tool_calls, undefined);
  });

  test('Ollama: tools advertised in /api/show, a tool round-trip answers, tools on a template without them are refused', async () => {
    assert.ok((await ollama.show({ model: 'qwen' })).capabilities.includes('tools'));
    assert.ok(!(await ollama.show({ model: 'llama' })).capabilities.includes('tools'));
    const reply = await ollama.chat({
      model: 'qwen',
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo', unit: 'celsius', days: 1 } } }] },
        { role: 'tool', content: '{"temperature": -3}', tool_name: 'get_weather' },
      ],
      tools: [WEATHER_TOOL],
      options: { temperature: 0, num_predict: 4 },
    });
    assert.equal(reply.done, true);
    await assert.rejects(ollama.chat({ model: 'llama', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER_TOOL] }), /cannot call tools/);
  });

  test('owm run --schema: the value validates at temperature 1 and prints once whole; run --host sends it as response_format', async () => {
    const schemaFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-schema-')), 'order.json');
    writeFileSync(schemaFile, JSON.stringify(ORDER_SCHEMA));
    for (const seed of ['1', '2']) {
      const local = await runOwm(['run', qwenDir, 'An order', '--schema', schemaFile, '--temperature', '1', '--top-k', '0', '--seed', seed], env);
      assert.equal(local.code, 0, local.stderr);
      assert.ok(validateOrder(JSON.parse(local.stdout)), local.stdout);
    }
    const remote = await runOwm(['run', 'qwen', 'An order', '--schema', schemaFile, '--temperature', '1', '--seed', '3', '--host', server.url], env);
    assert.equal(remote.code, 0, remote.stderr);
    assert.ok(validateOrder(JSON.parse(remote.stdout)), remote.stdout);
  });

  test('owm run: a value cut off by --max-tokens exits 1 and prints nothing; a broken schema exits 2 with one line', async () => {
    const cut = await runOwm(['run', qwenDir, 'JSON', '--format', 'json', '--max-tokens', '3', '--temperature', '1', '--seed', '1'], env);
    assert.equal(cut.code, 1);
    assert.equal(cut.stdout, '');
    assert.match(cut.stderr, /cut off by the --max-tokens limit after 3 tokens/);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'owm-bad-schema-'));
    const unsupported = path.join(dir, 'unsupported.json');
    writeFileSync(unsupported, '{"type": "strin"}');
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"type": ');
    for (const [file, message] of [
      [unsupported, /--schema .*unsupported\.json cannot be used: Unsupported type "strin"/],
      [broken, /--schema .*broken\.json is not valid JSON/],
      [path.join(dir, 'missing.json'), /Cannot read --schema .*missing\.json: no such file/],
    ] as const) {
      const result = await runOwm(['run', qwenDir, 'x', '--schema', file], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.equal(result.stdout, '');
    }
  });
});
