import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { fakeRepoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { createSandbox, runOwm, startOwm, waitForOwm } from '../support/run-owm.js';
import { serveOwm, type ServedOwm } from '../support/serve-owm.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const GREEDY = { temperature: 0 };

/** A tiny random-weight Qwen2-shaped model in a folder of its own. */
function writeTinyModel(prefix: string, seed: number): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), prefix)), 'tiny');
  writeSyntheticModel(dir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed });
  return dir;
}

describe('owm serve, driven by the openai and ollama npm clients', () => {
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;
  let modelDir: string;
  let server: ServedOwm;
  let openai: OpenAI;
  let ollama: Ollama;

  before(async () => {
    modelDir = writeTinyModel('owm-serve-', 11);
    hub = await startFakeHub();
    await hub.addRepo(await fakeRepoFromFolder('acme/tiny-pull', modelDir));
    ({ env } = await createSandbox(hub.url));
    server = await serveOwm(['--model', `tiny=${modelDir}`, '--parallel', '4'], env);
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    ollama = new Ollama({ host: server.url });
  });
  after(async () => {
    await server?.stop();
    await hub?.close();
  });

  /** `owm run --json` on the same folder: the reference answer. */
  const runAnswer = async (prompt: string, extra: string[] = []): Promise<string> => {
    const result = await runOwm(['run', modelDir, prompt, '--json', '--temperature', '0', '--max-tokens', '12', ...extra], env);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as { text: string }).text;
  };

  test('health, models and a chat completion equal to owm run\'s greedy answer', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: 'ok' });
    const models = await openai.models.list();
    assert.ok(models.data.some((model) => model.id === 'tiny'));
    assert.equal((await openai.models.retrieve('tiny')).id, 'tiny');

    const completion = await openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Why is the sky blue?' }], max_tokens: 12, ...GREEDY });
    const choice = completion.choices[0];
    assert.equal(choice?.message.content, await runAnswer('Why is the sky blue?'));
    assert.equal(choice?.finish_reason, 'length');
    assert.equal(completion.usage?.completion_tokens, 12);
    assert.ok((completion.usage?.prompt_tokens ?? 0) > 5);
  });

  test('a streamed chat completion: deltas add up to the plain answer, then finish_reason, usage and [DONE]', async () => {
    const request = { model: 'tiny', messages: [{ role: 'user' as const, content: 'Tell me a story' }], max_tokens: 10, ...GREEDY };
    const plain = await openai.chat.completions.create(request);
    const stream = await openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, plain.choices[0]?.message.content);
    assert.ok(chunks >= 3);
    assert.equal(finish, 'length');
    assert.equal(usage?.completion_tokens, 10);
    assert.ok((usage?.prompt_tokens_details?.cached_tokens ?? 0) > 0, 'the repeated prompt came from the slot cache');
  });

  test('completions feed the prompt as it is, like owm run --raw', async () => {
    const completion = await openai.completions.create({ model: 'tiny', prompt: 'Once upon a time', max_tokens: 12, ...GREEDY });
    assert.equal(completion.choices[0]?.text, await runAnswer('Once upon a time', ['--raw']));
    assert.equal(completion.object, 'text_completion');
  });

  test('concurrent requests each get their own answer', async () => {
    const prompts = ['Name a river', 'Count to five', 'What is rain?', 'Say hello', 'Why do birds sing?', 'A colour?'];
    const ask = async (content: string): Promise<string> => {
      const stream = await openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content }], max_tokens: 16, stream: true, ...GREEDY });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    const alone: string[] = [];
    for (const prompt of prompts) alone.push(await ask(prompt));
    const together = await Promise.all(prompts.map(ask));
    assert.deepEqual(together, alone);
    assert.ok(new Set(alone).size > 1);
  });

  test('sampling fields change what is sampled; the same seed repeats', async () => {
    const request = { model: 'tiny', messages: [{ role: 'user' as const, content: 'Write a poem' }], max_tokens: 16, temperature: 1.2, top_p: 0.95 };
    const one = await openai.chat.completions.create({ ...request, seed: 7 });
    const two = await openai.chat.completions.create({ ...request, seed: 7 });
    const other = await openai.chat.completions.create({ ...request, seed: 8 });
    assert.equal(one.choices[0]?.message.content, two.choices[0]?.message.content);
    assert.notEqual(one.choices[0]?.message.content, other.choices[0]?.message.content);
    const stopped = await openai.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Why is the sky blue?' }], max_tokens: 12, ...GREEDY, stop: [(await runAnswer('Why is the sky blue?')).slice(4, 7)] });
    assert.equal(stopped.choices[0]?.finish_reason, 'stop');
    assert.equal(stopped.choices[0]?.message.content, (await runAnswer('Why is the sky blue?')).slice(0, 4));
  });

  test('logprobs: each token with its log probability and the top alternatives, plain and streamed', async () => {
    const request = { model: 'tiny', messages: [{ role: 'user' as const, content: 'Hello there' }], max_tokens: 6, ...GREEDY, logprobs: true, top_logprobs: 3 };
    const plain = await openai.chat.completions.create(request);
    const content = plain.choices[0]?.logprobs?.content ?? [];
    assert.equal(content.length, 6);
    for (const entry of content) {
      assert.equal(entry.top_logprobs.length, 3);
      const tops = entry.top_logprobs.map((top) => top.logprob);
      assert.deepEqual(tops, [...tops].sort((a, b) => b - a), 'best first');
      assert.ok(tops.reduce((sum, logprob) => sum + Math.exp(logprob), 0) <= 1 + 1e-6);
      // Greedy: the chosen token is the most likely one.
      assert.equal(entry.token, entry.top_logprobs[0]?.token);
      assert.ok(Math.abs(entry.logprob - (tops[0] as number)) < 1e-6);
      assert.deepEqual(entry.bytes, [...Buffer.from(entry.token, 'utf8')]);
    }
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    const streamed: number[] = [];
    for await (const chunk of stream) for (const entry of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(entry.logprob);
    // The second request reuses the first's cached prompt rows: equal up to float rounding.
    assert.equal(streamed.length, content.length);
    streamed.forEach((logprob, i) => assert.ok(Math.abs(logprob - (content[i]?.logprob as number)) < 1e-4, `token ${i}`));

    const completion = await openai.completions.create({ model: 'tiny', prompt: 'Once upon a time', max_tokens: 5, ...GREEDY, logprobs: 2 });
    const legacy = completion.choices[0]?.logprobs;
    assert.equal(legacy?.tokens?.length, 5);
    assert.equal(legacy?.token_logprobs?.length, 5);
    assert.equal(Object.keys(legacy?.top_logprobs?.[0] ?? {}).length, 2);
    assert.deepEqual(legacy?.text_offset, [...(legacy?.text_offset ?? [])].sort((a, b) => a - b));
    const plainAnswer = await openai.chat.completions.create({ ...request, logprobs: false });
    assert.equal(plainAnswer.choices[0]?.logprobs, null);
  });

  test('bad requests are 400s naming the field, in OpenAI\'s error shape', async () => {
    const bad = async (body: Record<string, unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
      const error = await openai.chat.completions.create(body as never).then(
        () => assert.fail('expected an error'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof OpenAI.APIError);
      return error;
    };
    const temperature = await bad({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' });
    assert.equal(temperature.status, 400);
    assert.equal(temperature.param, 'temperature');
    assert.match(temperature.message, /temperature/);
    const n = await bad({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], n: 2 });
    assert.equal(n.status, 400);
    assert.match(n.message, /one choice/);
    const role = await bad({ model: 'tiny', messages: [{ role: 'robot', content: 'x' }] });
    assert.equal(role.param, 'messages[0].role');
    const tools = await bad({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'no spaces allowed' } }] });
    assert.equal(tools.status, 400);
    assert.equal(tools.param, 'tools[0].function.name');
    const raw = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{"model":', headers: { 'content-type': 'application/json' } });
    assert.equal(raw.status, 400);
    const body = (await raw.json()) as { error: { message: string; type: string } };
    assert.match(body.error.message, /not valid JSON/);
    assert.equal(body.error.type, 'invalid_request_error');
    const long = await bad({ model: 'tiny', messages: [{ role: 'user', content: 'word '.repeat(3000) }] });
    assert.equal(long.status, 400);
    assert.match(long.message, /tokens but the context is/);
  });

  test('unknown models, models not pulled, paths and routes are 404s', async () => {
    const unknown = await openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    assert.ok(unknown instanceof OpenAI.NotFoundError);
    const notPulled = await openai.chat.completions.create({ model: 'acme/tiny-pull', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    assert.ok(notPulled instanceof OpenAI.NotFoundError);
    assert.match(notPulled.message, /owm pull acme\/tiny-pull/);
    const pathName = await openai.chat.completions.create({ model: modelDir, messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    assert.ok(pathName instanceof OpenAI.NotFoundError, 'a request never names a path');
    const route = await fetch(`${server.url}/v2/whatever`);
    assert.equal(route.status, 404);
    assert.match(((await route.json()) as { error: string }).error, /No route/);
  });

  test('a body over the limit is a 413', async () => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(9 * 1024 * 1024) }] }),
    });
    assert.equal(response.status, 413);
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /MiB/);
  });

  test('CORS answers this machine\'s pages and no one else by default', async () => {
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${server.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    assert.equal((await preflight('http://localhost:3000')).headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.equal((await preflight('https://evil.example')).headers.get('access-control-allow-origin'), null);
  });

  test('the ollama client: tags, show, chat, generate (streamed and not), ps', async () => {
    const tags = await ollama.list();
    assert.ok(tags.models.some((model) => model.name === 'tiny'));
    const shown = await ollama.show({ model: 'tiny' });
    // The client types model_info as a Map; over JSON it is a plain object.
    assert.equal((shown.model_info as unknown as Record<string, unknown>)['general.architecture'], 'qwen2');
    assert.match(shown.template, /im_start/);

    const chat = await ollama.chat({ model: 'tiny', messages: [{ role: 'user', content: 'Why is the sky blue?' }], options: { temperature: 0, num_predict: 12 } });
    assert.equal(chat.message.content, await runAnswer('Why is the sky blue?'));
    assert.equal(chat.done_reason, 'length');
    assert.equal(chat.eval_count, 12);
    assert.ok(chat.total_duration > 0 && chat.prompt_eval_count > 0);

    const streamed = await ollama.chat({ model: 'tiny', messages: [{ role: 'user', content: 'Why is the sky blue?' }], options: { temperature: 0, num_predict: 12 }, stream: true });
    let text = '';
    let last: { done: boolean; eval_count?: number } | undefined;
    for await (const part of streamed) {
      text += part.message.content;
      last = part;
    }
    assert.equal(text, chat.message.content);
    assert.equal(last?.done, true);
    assert.equal(last?.eval_count, 12);

    const generated = await ollama.generate({ model: 'tiny', prompt: 'Once upon a time', raw: true, options: { temperature: 0, num_predict: 12 } });
    assert.equal(generated.response, await runAnswer('Once upon a time', ['--raw']));

    const ps = await ollama.ps();
    assert.ok(ps.models.some((model) => model.name === 'tiny'));
  });

  test('the ollama client pulls through owm from the hub, then chats with and deletes the model', async () => {
    const progress = await ollama.pull({ model: 'acme/tiny-pull', stream: true });
    const statuses: string[] = [];
    for await (const part of progress) statuses.push(part.status);
    assert.equal(statuses[0], 'pulling manifest');
    assert.equal(statuses.at(-1), 'success');
    assert.ok(statuses.some((status) => status.startsWith('pulling onnx/')));
    assert.ok((await ollama.list()).models.some((model) => model.name === 'acme/tiny-pull'));

    const loaded = await ollama.generate({ model: 'acme/tiny-pull', prompt: '' });
    assert.equal(loaded.done_reason, 'load');
    assert.ok((await ollama.ps()).models.some((model) => model.name === 'acme/tiny-pull'));
    const reply = await ollama.chat({ model: 'acme/tiny-pull', messages: [{ role: 'user', content: 'Why is the sky blue?' }], options: { temperature: 0, num_predict: 12 }, keep_alive: 0 });
    assert.equal(reply.message.content, await runAnswer('Why is the sky blue?'), 'the pulled copy answers as the folder does');
    let unloaded = false;
    for (let attempt = 0; attempt < 50 && !unloaded; attempt++) {
      unloaded = !(await ollama.ps()).models.some((model) => model.name === 'acme/tiny-pull');
      if (!unloaded) await sleep(50);
    }
    assert.ok(unloaded, 'keep_alive 0 unloads the model once the answer is done');

    await ollama.delete({ model: 'acme/tiny-pull' });
    assert.ok(!(await ollama.list()).models.some((model) => model.name === 'acme/tiny-pull'));
    await assert.rejects(ollama.delete({ model: 'acme/tiny-pull' }), /not in the cache/);
    await assert.rejects(ollama.chat({ model: 'acme/tiny-pull', messages: [{ role: 'user', content: 'x' }] }), /owm pull/);
  });
});

describe('owm run --host: the CLI as a client of an OpenAI-compatible server', () => {
  let env: NodeJS.ProcessEnv;
  let modelDir: string;
  let server: ServedOwm;

  before(async () => {
    modelDir = writeTinyModel('owm-client-', 13);
    ({ env } = await createSandbox());
    server = await serveOwm(['--model', `tiny=${modelDir}`, '-q'], env);
  });
  after(async () => {
    await server?.stop();
  });

  test('prints what a local run prints: same greedy text, stdin joined, --json, --stop', async () => {
    const flags = ['--temperature', '0', '--max-tokens', '12'];
    const local = await runOwm(['run', modelDir, 'Why is the sky blue?', ...flags], env);
    const remote = await runOwm(['run', '--host', server.url, 'tiny', 'Why is the sky blue?', ...flags], env);
    assert.equal(remote.code, 0, remote.stderr);
    assert.equal(remote.stdout, local.stdout);
    assert.equal(remote.stderr, '');

    const piped = await runOwm(['run', 'tiny', 'Summarize:', '--json', ...flags], { ...env, OWM_HOST: server.url }, 'line one\nline two\n');
    const pipedLocal = await runOwm(['run', modelDir, 'Summarize:', '--json', ...flags], env, 'line one\nline two\n');
    const parsed = JSON.parse(piped.stdout) as { text: string; stats: { promptTokens: number; generatedTokens: number; stopReason: string } };
    const parsedLocal = JSON.parse(pipedLocal.stdout) as typeof parsed;
    assert.equal(parsed.text, parsedLocal.text);
    assert.equal(parsed.stats.promptTokens, parsedLocal.stats.promptTokens);
    assert.equal(parsed.stats.generatedTokens, 12);
    assert.equal(parsed.stats.stopReason, 'max-tokens');

    const stop = parsedLocal.text.slice(3, 6);
    const stopped = await runOwm(['run', '--host', server.url, 'tiny', 'Summarize:', ...flags, '--stop', stop], env, 'line one\nline two\n');
    assert.equal(stopped.stdout, `${parsedLocal.text.slice(0, 3)}\n`);

    const raw = await runOwm(['run', '--host', server.url, 'tiny', 'Once upon a time', '--raw', ...flags], env);
    const rawLocal = await runOwm(['run', modelDir, 'Once upon a time', '--raw', ...flags], env);
    assert.equal(raw.stdout, rawLocal.stdout);

    const lookup = await runOwm(['run', '--host', server.url, 'tiny', 'Once upon a time', '--raw', ...flags, '--prompt-lookup'], env);
    assert.equal(lookup.stdout, rawLocal.stdout);
    assert.match(lookup.stderr, /^warning: --prompt-lookup is ignored with --host/);
  });

  test('--verbose prints the statistics on stderr', async () => {
    const result = await runOwm(['run', '--host', server.url, 'tiny', 'Hello', '--max-tokens', '5', '--verbose'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /prompt \d+ tokens( \(\d+ already cached\))?, generated 5 tokens \(max-tokens\)/);
    assert.match(result.stderr, /decode [\d.]+ tok\/s/);
  });

  test('errors are one line with exit 1: no server, unknown model, wrong key', async () => {
    const refused = await runOwm(['run', '--host', 'http://127.0.0.1:1', 'tiny', 'x'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: Cannot reach the server at http:\/\/127\.0\.0\.1:1 \(/);
    const unknown = await runOwm(['run', '--host', server.url, 'no-such-model', 'x'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: The server at .* answered 404: Model 'no-such-model' is not in the registry/);
    for (const result of [refused, unknown]) {
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.equal(result.stdout, '');
    }
  });

  test('Ctrl-C keeps the partial answer and exits 130; the server stops the generation', async () => {
    const child = startOwm(['run', '--host', server.url, 'tiny', 'Go on', '--max-tokens', '100000'], env);
    const done = waitForOwm(child);
    let seen = '';
    await new Promise<void>((resolve) => child.stdout?.on('data', (chunk: Buffer) => ((seen += chunk.toString()).length > 20 ? resolve() : undefined)));
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130);
    assert.ok(result.stdout.length >= 20);
    const after = await runOwm(['run', '--host', server.url, 'tiny', 'Hello', '--max-tokens', '3'], env);
    assert.equal(after.code, 0, after.stderr);
  });
});

describe('owm serve --prompt-lookup', () => {
  test('a greedy answer that repeats its prompt checks drafts and is the answer without them', async () => {
    // Attention off: the model's next token depends on the current one only, so after "Hello" it
    // always writes the same text, and a prompt holding that text is quoted.
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-serve-lookup-')), 'quote');
    writeSyntheticModel(dir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 13, attentionShare: 0 });
    const { env } = await createSandbox();
    const complete = async (client: OpenAI, prompt: string): Promise<string> =>
      (await client.completions.create({ model: 'quote', prompt, max_tokens: 40, ...GREEDY })).choices[0]?.text ?? '';
    const plain = await serveOwm(['--model', `quote=${dir}`], env);
    let answer: string;
    let quoted: string;
    try {
      const client = new OpenAI({ baseURL: `${plain.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      answer = await complete(client, 'Hello');
      quoted = await complete(client, `Hello${answer}\nHello`);
      assert.doesNotMatch(plain.log(), /prompt lookup/);
    } finally {
      await plain.stop();
    }
    const server = await serveOwm(['--model', `quote=${dir}`, '--prompt-lookup'], env);
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      assert.equal(await complete(client, `Hello${answer}\nHello`), quoted);
      const match = /prompt lookup \(quote\): (\d+) of (\d+) drafted tokens accepted/.exec(server.log());
      assert.ok(match && Number(match[1]) > 0, server.log());
    } finally {
      await server.stop();
    }
  });
});

describe('owm serve under load and at the end', () => {
  let env: NodeJS.ProcessEnv;
  let modelDir: string;

  before(async () => {
    modelDir = writeTinyModel('owm-serve-limits-', 12);
    ({ env } = await createSandbox());
  });

  const longStream = (client: OpenAI, signal?: AbortSignal) =>
    client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Go on and on' }], max_tokens: 100_000, stream: true }, { signal });

  test('a full queue is a 503 at once; an aborted stream frees its slot within a step', async () => {
    const server = await serveOwm(['--model', `tiny=${modelDir}`, '--parallel', '1', '--max-queue', '0'], env);
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const controller = new AbortController();
      const stream = await longStream(client, controller.signal);
      const pieces = stream[Symbol.asyncIterator]();
      await pieces.next();
      const full = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }).catch((error: unknown) => error);
      assert.ok(full instanceof OpenAI.APIError);
      assert.equal(full.status, 503);
      assert.match(full.message, /busy/);

      controller.abort();
      let answered: OpenAI.ChatCompletion | undefined;
      for (let attempt = 0; attempt < 40 && !answered; attempt++) {
        answered = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 }).catch(() => undefined);
        if (!answered) await sleep(50);
      }
      assert.equal(answered?.choices[0]?.finish_reason, 'length', 'the aborted generation gave its slot back');
    } finally {
      await server.stop();
    }
  });

  test('an API key is required and compared; health stays open', async () => {
    const server = await serveOwm(['--model', `tiny=${modelDir}`], { ...env, OWM_API_KEY: 'sekrit-key' });
    try {
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
      const wrong = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
      const denied = await wrong.models.list().catch((error: unknown) => error);
      assert.ok(denied instanceof OpenAI.AuthenticationError);
      const missing = await fetch(`${server.url}/api/tags`);
      assert.equal(missing.status, 401);
      assert.match(((await missing.json()) as { error: string }).error, /API key is required/);
      const right = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sekrit-key', maxRetries: 0 });
      assert.ok((await right.models.list()).data.length > 0);
      const ollama = new Ollama({ host: server.url, headers: { Authorization: 'Bearer sekrit-key' } });
      assert.ok((await ollama.list()).models.length > 0);
      assert.doesNotMatch(server.log(), /sekrit-key/, 'the key is never logged');
    } finally {
      await server.stop();
    }
  });

  test('SIGTERM ends an open stream cleanly, unloads and exits 0', async () => {
    const server = await serveOwm(['--model', `tiny=${modelDir}`], env);
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'Go on' }], max_tokens: 100_000, stream: true }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    server.child.kill('SIGTERM');
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += decoder.decode(next.value);
    assert.match(text, /"finish_reason":"stop"/);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));
    const result = await server.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /unloaded tiny \(shutdown\)/);
  });

  test('/health is 503 while a --model preload is still pulling and loading, then ok', async () => {
    const hub = await startFakeHub();
    try {
      await hub.addRepo(await fakeRepoFromFolder('acme/slow-tiny', modelDir));
      // About 86 MB at 20 MB/s: seconds of pulling during which the server already listens.
      hub.faults.add({ endpoint: 'cdn', kind: 'throttle', bytesPerSecond: 20_000_000, times: Number.POSITIVE_INFINITY });
      const { env: hubEnv } = await createSandbox(hub.url);
      const child = startOwm(['serve', '--port', '0', '--model', 'acme/slow-tiny', '-q'], hubEnv);
      const exited = waitForOwm(child);
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      for (let waited = 0; !/listening on/.test(stderr) && waited < 30_000; waited += 50) await sleep(50);
      const url = /listening on (\S+)/.exec(stderr)?.[1] as string;
      const early = await fetch(`${url}/health`);
      assert.equal(early.status, 503);
      assert.deepEqual(await early.json(), { status: 'loading' });
      let status = 503;
      for (let waited = 0; status === 503 && waited < 60_000; waited += 100) {
        await sleep(100);
        status = (await fetch(`${url}/health`)).status;
      }
      assert.equal(status, 200);
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const reply = await client.chat.completions.create({ model: 'acme/slow-tiny', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3 });
      assert.equal(reply.usage?.completion_tokens, 3);
      child.kill('SIGTERM');
      assert.equal((await exited).code, 0);
    } finally {
      await hub.close();
    }
  });

  test('a port in use is a one-line error', async () => {
    const first = await serveOwm([], env);
    try {
      const port = new URL(first.url).port;
      const second = await runOwm(['serve', '--port', port], env);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^error: Port \d+ on 127\.0\.0\.1 is in use/m);
      assert.doesNotMatch(second.stderr, /\n\s+at /);
    } finally {
      await first.stop();
    }
  });
});
