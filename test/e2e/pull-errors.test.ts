import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeHub, type FakeHub, type FakeRepoInfo } from '../support/fake-hub.js';
import { transformersJsRepo } from '../support/fake-model-repos.js';
import { assertHfCacheLayout, blobNames } from '../support/hf-cache-assertions.js';
import { createSandbox, runOwm, type OwmResult, hubCacheOf } from '../support/run-owm.js';

const GATED = 'acme/gated-model';
const LLAMA = 'onnx-community/Llama-3.2-1B-Instruct';
const Q4_FILES = [
  'config.json',
  'generation_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model_q4.onnx',
  'onnx/model_q4.onnx_data',
];
const TOKEN = 'hf_validtokenwithaccess';
const TOKEN_WITHOUT_ACCESS = 'hf_validtokenwithoutaccess';

function assertOneLineError(result: OwmResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, 'exit code is non-zero');
  assert.match(result.stderr, pattern);
  const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  assert.equal(errorLines.length, 1, `exactly one error line:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

describe('owm pull: access, licenses and errors', () => {
  let hub: FakeHub;
  let gated: FakeRepoInfo;
  let llama: FakeRepoInfo;

  before(async () => {
    hub = await startFakeHub();
    gated = await hub.addRepo({ ...transformersJsRepo(GATED, { dataBytes: 50_000 }), gated: 'manual', license: 'other' });
    llama = await hub.addRepo({ ...transformersJsRepo(LLAMA, { dataBytes: 50_000 }), license: 'llama3.2' });
    await hub.addRepo(transformersJsRepo('acme/small', { dataBytes: 50_000 }));
    hub.addToken(TOKEN, { repos: [GATED] });
    hub.addToken(TOKEN_WITHOUT_ACCESS, { repos: [] });
  });
  after(async () => {
    assert.deepEqual(hub.serverErrors, []);
    await hub.close();
  });

  test('a gated repo without a token says how to get access, before downloading anything', async () => {
    const { env } = await createSandbox(hub.url);
    const result = await runOwm(['pull', GATED, '--accept-license'], env);
    assertOneLineError(result, new RegExp(`error: Model ${GATED} is gated: accept its terms at ${hub.url}/${GATED} and set HF_TOKEN`));
    assert.deepEqual(await blobNames(hubCacheOf(env), GATED), []);
  });

  test('a token without access to the gated repo gets the request-access message', async () => {
    const { env } = await createSandbox(hub.url, { HF_TOKEN: TOKEN_WITHOUT_ACCESS });
    const result = await runOwm(['pull', GATED, '--accept-license'], env);
    assertOneLineError(result, /error: Your token has no access to the gated model acme\/gated-model: request access at/);
  });

  test('a rejected token and a malformed token are named as such, and never printed', async () => {
    const { env } = await createSandbox(hub.url, { HF_TOKEN: 'hf_notarealtoken' });
    const rejected = await runOwm(['pull', 'acme/small'], env);
    assertOneLineError(rejected, /error: The Hugging Face token was rejected/);
    assert.doesNotMatch(rejected.stderr, /hf_notarealtoken/);
    const malformed = await runOwm(['pull', 'acme/small', '--token', 'secret-value'], env);
    assertOneLineError(malformed, /error: The Hugging Face token does not look valid/);
    assert.doesNotMatch(malformed.stderr, /secret-value/);
  });

  test('a gated repo with a token pulls, and the token never reaches the CDN', async () => {
    const { env } = await createSandbox(hub.url, { HF_TOKEN: TOKEN });
    const result = await runOwm(['pull', GATED, '--accept-license'], env);
    assert.equal(result.code, 0, result.stderr);
    await assertHfCacheLayout(hubCacheOf(env), gated, Q4_FILES);
    assert.equal(hub.cdnSawAuthorization, false);
    const hubRequests = hub.requests.filter((request) => request.host === 'hub' && request.url.includes(GATED));
    assert.ok(hubRequests.some((request) => request.headers.authorization === `Bearer ${TOKEN}`), 'the hub got the token');
    assert.doesNotMatch(result.stderr, new RegExp(TOKEN));
  });

  test('a restrictive license needs --accept-license when not on a terminal, and is remembered', async () => {
    const { env } = await createSandbox(hub.url);
    const refused = await runOwm(['pull', 'llama3.2-1b'], env);
    assertOneLineError(refused, /error: onnx-community\/Llama-3.2-1B-Instruct is distributed under Llama 3.2 Community License \(https:\/\/www.llama.com\/llama3_2\/license\/\), which must be accepted .*--accept-license/);
    assert.deepEqual(await blobNames(hubCacheOf(env), LLAMA), []);

    const accepted = await runOwm(['pull', 'llama3.2-1b', '--accept-license'], env);
    assert.equal(accepted.code, 0, accepted.stderr);
    await assertHfCacheLayout(hubCacheOf(env), llama, Q4_FILES);
    const again = await runOwm(['pull', 'llama3.2-1b', '--variant', 'fp32'], env);
    assert.equal(again.code, 0, `the acceptance is remembered: ${again.stderr}`);
  });

  test('unknown names, repos, revisions and registry paths each get their own message', async () => {
    const { env, root } = await createSandbox(hub.url);
    assertOneLineError(await runOwm(['pull', 'qwen25'], env), /error: Model 'qwen25' is not in the registry. Did you mean 'qwen2.5-0.5b'/);
    assertOneLineError(await runOwm(['pull', 'acme/missing'], env), /error: Model acme\/missing was not found on the Hub/);
    assertOneLineError(
      await runOwm(['pull', 'acme/small', '--revision', 'v9'], env),
      /error: Revision 'v9' does not exist in acme\/small/,
    );
    assertOneLineError(await runOwm(['pull', 'not a repo/'], env), /error: /);

    await mkdir(env.OWM_HOME as string, { recursive: true });
    await writeFile(
      path.join(env.OWM_HOME as string, 'models.yaml'),
      'models:\n  small:\n    repo: acme/small\n    variants:\n      q2: { path: onnx/model_q2.onnx, devices: [cpu] }\n    default_variant: { cpu: q2 }\n',
    );
    assertOneLineError(await runOwm(['pull', 'small'], env), /error: Variant 'q2' of acme\/small points at 'onnx\/model_q2.onnx', which the repo does not have/);
    assert.ok(root);
  });

  test('usage errors exit with code 2', async () => {
    const { env } = await createSandbox(hub.url);
    for (const args of [['pull', '--bogus', 'x'], ['pull'], ['nosuchcommand'], ['pull', 'acme/small', '--device', 'tpu']]) {
      const result = await runOwm(args, env);
      assert.equal(result.code, 2, `owm ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^error: /m);
    }
  });

  test('a bad user registry file names the file, line, entry and field', async () => {
    const { env } = await createSandbox(hub.url);
    await mkdir(env.OWM_HOME as string, { recursive: true });
    const file = path.join(env.OWM_HOME as string, 'models.yaml');
    await writeFile(file, 'models:\n  mine:\n    repo: acme/small\n    context_length: lots\n');
    const result = await runOwm(['pull', 'mine'], env);
    assertOneLineError(result, new RegExp(`error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: model 'mine': field 'context_length'`));
  });

  test('no network says so and suggests --offline', async () => {
    const closed = await startFakeHub();
    const url = closed.url;
    await closed.close();
    const { env } = await createSandbox(url);
    const result = await runOwm(['pull', 'acme/small'], env);
    assertOneLineError(result, /error: Cannot reach the Hub at http:\/\/127.0.0.1:\d+ \(ECONNREFUSED\).*--offline/);
  });

  test('not enough disk space fails before any byte is written (tmpfs)', async (t) => {
    const mountPoint = await mkdtemp(path.join(os.tmpdir(), 'owm-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      t.skip('mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN)');
      return;
    }
    try {
      const { env } = await createSandbox(hub.url, { HF_HUB_CACHE: mountPoint });
      await hub.addRepo(transformersJsRepo('acme/too-big', { dataBytes: 3_000_000 }));
      const result = await runOwm(['pull', 'acme/too-big'], env);
      assertOneLineError(result, /error: Not enough disk space in .*: the download needs 3\.\d+ MB but only .* is free/);
      assert.deepEqual(await blobNames(mountPoint, 'acme/too-big'), []);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });

  test('a read-only cache folder is a clear permission error (read-only tmpfs)', async (t) => {
    const mountPoint = await mkdtemp(path.join(os.tmpdir(), 'owm-ro-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      t.skip('mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN)');
      return;
    }
    try {
      const { env } = await createSandbox(hub.url, { HF_HUB_CACHE: mountPoint });
      const result = await runOwm(['pull', 'acme/small'], env);
      assertOneLineError(result, /error: Cannot write to the cache folder .* \(EROFS\): fix its permissions, or set HF_HUB_CACHE/);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });

  test('a blob locked by Python (fcntl.flock, as filelock does) is waited for, not written twice', async (t) => {
    const { env } = await createSandbox(hub.url);
    const info = await hub.addRepo(transformersJsRepo('acme/locked', { dataBytes: 50_000 }));
    const etag = info.files['onnx/model_q4.onnx_data'].etag;
    const lockPath = path.join(hubCacheOf(env), '.locks', 'models--acme--locked', `${etag}.lock`);
    await mkdir(path.dirname(lockPath), { recursive: true });
    const python = spawn('python3', ['-c', `import fcntl,sys,time\nf=open(sys.argv[1],'w')\nfcntl.flock(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(1.5)`, lockPath]);
    const locked = await new Promise<boolean>((resolve) => {
      python.stdout.once('data', () => resolve(true));
      python.once('error', () => resolve(false));
    });
    if (!locked) {
      t.skip('python3 is not available to hold a lock');
      return;
    }
    const started = Date.now();
    const result = await runOwm(['pull', 'acme/locked'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /waiting for another download of onnx\/model_q4.onnx_data/);
    assert.ok(Date.now() - started >= 1000, 'owm waited for the lock to be released');
    await assertHfCacheLayout(hubCacheOf(env), info, Q4_FILES);
  });
});
