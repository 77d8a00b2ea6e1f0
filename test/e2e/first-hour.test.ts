import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { transformersJsRepo } from '../support/fake-model-repos.js';
import { createSandbox, OWM_BIN, runOwm } from '../support/run-owm.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const { onnx } = onnxProto;
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Runs a shell pipeline; returns its exit status and stderr. */
function shell(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-o', 'pipefail', '-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a newcomer\'s first hour: the rough edges, each as a user meets it', () => {
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;
  let modelDir: string;
  let plainDir: string;

  before(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'owm-first-hour-'));
    modelDir = path.join(root, 'tiny');
    writeSyntheticModel(modelDir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 21 });
    // The same model without a chat template (a base model).
    plainDir = path.join(root, 'plain');
    writeSyntheticModel(plainDir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 21 });
    const configFile = path.join(plainDir, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    delete config.chat_template;
    writeFileSync(configFile, JSON.stringify(config));
    hub = await startFakeHub();
    await hub.addRepo(transformersJsRepo('acme/first-hour', { dataBytes: 200_000 }));
    ({ env } = await createSandbox(hub.url));
  });
  after(async () => {
    await hub.close();
  });

  test('a reader that goes away ends every command quietly with 0', async () => {
    for (const command of [`"${process.execPath}" "${OWM_BIN}" --help | head -1`, `"${process.execPath}" "${OWM_BIN}" --version | true`, `"${process.execPath}" "${OWM_BIN}" list --available | head -2`]) {
      const result = await shell(command, env);
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /EPIPE|Unhandled/);
    }
  });

  test('--version is package.json\'s', async () => {
    assert.equal((await runOwm(['--version'], env)).stdout.trim(), PACKAGE_VERSION);
  });

  test('a pseudo-terminal of 0 columns gets plain lines and an answer, not a flood', { skip: hasScript() ? false : 'script (util-linux) is not installed' }, async () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-script-')), 'typescript');
    const started = Date.now();
    const result = await shell(`script -q -e -c '"${process.execPath}" "${OWM_BIN}" run "${modelDir}" Hello --max-tokens 6' "${log}" </dev/null`, env);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - started < 60_000);
    const written = readFileSync(log);
    assert.ok(written.length < 20_000, `${written.length} bytes written to the terminal`);
    // Between script's header and footer: the answer.
    const answer = written.toString().split('\n').slice(1, -2).join('').trim();
    assert.ok(answer.length > 0, 'the answer reached the terminal');
  });

  test('flag errors are one sentence with exit 2; ranges name the bounds', async () => {
    const tokens = await runOwm(['run', modelDir, 'Hi', '--max-tokens', '-1'], env);
    assert.equal(tokens.code, 2);
    assert.equal(tokens.stderr, 'error: --max-tokens must be an integer > 0, got -1.\n');
    const threads = await runOwm(['run', modelDir, 'Hi', '--threads', '1000'], env);
    assert.equal(threads.code, 2);
    assert.match(threads.stderr, new RegExp(`^error: --threads must be a whole number from 1 to ${os.availableParallelism()} \\(this machine's logical cores\\), got 1000\\.\\n$`));
    const stop = await runOwm(['run', modelDir, 'Hi', '--stop', ''], env);
    assert.equal(stop.code, 2);
    assert.match(stop.stderr, /^error: --stop needs a non-empty string/);
  });

  test('a context above the model\'s is a usage error naming both numbers', async () => {
    const result = await runOwm(['run', modelDir, 'Hi', '--context', '999999'], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: A context of 999999 tokens is more than this model's 2048: ask for 2048 or less\.\n$/);
  });

  test('usage errors exit 2 whatever the layer: an unknown name, a bad repo id', async () => {
    const unknown = await runOwm(['pull', 'no-such-model'], env);
    assert.equal(unknown.code, 2, unknown.stderr);
    const badId = await runOwm(['pull', 'a/b/c'], env);
    assert.equal(badId.code, 2, badId.stderr);
  });

  test('a model without a chat template warns once that prompts go in as plain text', async () => {
    const result = await runOwm(['run', plainDir, 'Hi', '--max-tokens', '2'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((result.stderr.match(/has no chat template: prompts are fed to it as plain text/g) ?? []).length, 1);
    assert.doesNotMatch((await runOwm(['run', plainDir, 'Hi', '--max-tokens', '2', '--raw'], env)).stderr, /chat template/);
  });

  test('ONNX Runtime\'s own log lines stay out of stderr unless --verbose', async () => {
    // An initializer no node uses: ONNX Runtime warns that it removes it (a common sight with real exports).
    const noisy = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-noisy-')), 'model');
    cpSync(modelDir, noisy, { recursive: true });
    const unused = onnx.TensorProto.create({ name: 'unused', dataType: onnx.TensorProto.DataType.FLOAT, dims: [1], floatData: [1] });
    // Protobuf merges a second `graph` field into the first: appending adds the initializer.
    appendFileSync(path.join(noisy, 'onnx', 'model.onnx'), onnx.ModelProto.encode(onnx.ModelProto.create({ graph: onnx.GraphProto.create({ initializer: [unused] }) })).finish());
    const quiet = await runOwm(['run', noisy, 'Hi', '--max-tokens', '2', '--no-optimize'], env);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /onnxruntime/);
    const verbose = await runOwm(['run', noisy, 'Hi', '--max-tokens', '2', '--no-optimize', '--verbose'], env);
    assert.match(verbose.stderr, /W:onnxruntime.*Removing initializer 'unused'/);
  });

  test('a host name that does not resolve fails at once, without retries', async () => {
    const { env: offline } = await createSandbox('http://no-such-hub.invalid');
    const started = Date.now();
    const result = await runOwm(['pull', 'acme/first-hour'], offline);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Cannot reach the Hub at http:\/\/no-such-hub\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
    assert.doesNotMatch(result.stderr, /retrying/);
    assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
  });

  test('a second pull says the model is already pulled and shows no speed', async () => {
    const { env: fresh } = await createSandbox(hub.url);
    assert.equal((await runOwm(['pull', 'acme/first-hour'], fresh)).code, 0);
    const again = await runOwm(['pull', 'acme/first-hour'], fresh);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /acme\/first-hour is already pulled/);
    assert.doesNotMatch(again.stderr, /\/s\b|%/);
  });

  test('owm list names org/name pulls by their repo; owm show marks their default variant', async () => {
    const { env: fresh } = await createSandbox(hub.url);
    assert.equal((await runOwm(['pull', 'acme/first-hour', '-q'], fresh)).code, 0);
    const list = await runOwm(['list'], fresh);
    assert.match(list.stdout, /^acme\/first-hour\s+acme\/first-hour\s+q4\s/m);
    const show = await runOwm(['show', 'acme/first-hour'], fresh);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /q4 .*\(default on cpu/);
    assert.match(show.stdout, /^license\s+apache-2\.0$/m);
  });

  test('owm config says where the token comes from and where rewritten graphs go', async () => {
    const fromVariable = await runOwm(['config'], { ...env, HF_TOKEN: 'hf_secret' });
    assert.match(fromVariable.stdout, /^token\s+set \(from HF_TOKEN\)$/m);
    assert.match(fromVariable.stdout, /^rewritten graphs\s+\S+optimized$/m);
    assert.doesNotMatch(fromVariable.stdout, /hf_secret/);
    const tokenFile = path.join(env.HF_HOME as string, 'token');
    mkdirSync(path.dirname(tokenFile), { recursive: true });
    writeFileSync(tokenFile, 'hf_from_file\n');
    const fromFile = await runOwm(['config'], env);
    assert.match(fromFile.stdout, new RegExp(`^token\\s+set \\(from ${tokenFile.replace(/[/.]/g, '\\$&')}\\)$`, 'm'));
  });
});
