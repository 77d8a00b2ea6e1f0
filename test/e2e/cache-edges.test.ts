import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fakeRepoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { transformersJsRepo } from '../support/fake-model-repos.js';
import { repoCacheDir } from '../support/hf-cache-assertions.js';
import { createSandbox, hubCacheOf, runOwm, startOwm, waitForOwm } from '../support/run-owm.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const TWO_VARIANTS = 'acme/two-variants';

/** Mounts a small tmpfs at `mountPoint` (made here), or skips the test where mounting is not allowed. */
function mountTmpfs(t: TestContext, mountPoint: string, options = 'size=64m'): boolean {
  mkdirSync(mountPoint, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    t.skip('mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN)');
    return false;
  }
}

describe('the cache\'s edge cases: variants one by one, unfinished pulls, read-only folders', () => {
  let hub: FakeHub;
  let modelDir: string;

  before(async () => {
    modelDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'owm-edges-')), 'model');
    for (const dtype of ['fp32', 'q4'] as const) writeSyntheticModel(modelDir, { arch: 'qwen2', style: 'optimum', dtype, shape: TINY, tokenizer: 'qwen', seed: 31 });
    hub = await startFakeHub();
    await hub.addRepo(await fakeRepoFromFolder(TWO_VARIANTS, modelDir));
  });
  after(async () => {
    await hub.close();
  });

  test('a variant not pulled is pulled by run, refused clearly offline, and removed alone by rm MODEL:VARIANT', async () => {
    const { env } = await createSandbox(hub.url);
    assert.equal((await runOwm(['pull', TWO_VARIANTS, '-q'], env)).code, 0);
    const offline = await runOwm(['run', TWO_VARIANTS, 'Hi', '--variant', 'fp32', '--offline'], env);
    assert.equal(offline.code, 1, offline.stderr);
    assert.match(offline.stderr, /^error: Variant fp32 of acme\/two-variants is not pulled .*owm pull acme\/two-variants --variant fp32/);
    const fp32 = await runOwm(['run', `${TWO_VARIANTS}:fp32`, 'Hi', '--max-tokens', '2'], env);
    assert.equal(fp32.code, 0, fp32.stderr);
    assert.match(fp32.stderr, /pulling acme\/two-variants/);
    assert.match((await runOwm(['list'], env)).stdout, /fp32/);

    const removed = await runOwm(['rm', `${TWO_VARIANTS}:fp32`], env);
    assert.equal(removed.code, 0, removed.stderr);
    const list = (await runOwm(['list'], env)).stdout;
    assert.doesNotMatch(list, /fp32/);
    assert.match(list, /q4/);
    assert.equal((await runOwm(['verify', TWO_VARIANTS], env)).code, 0, 'the q4 files are all there');
    assert.equal((await runOwm(['run', TWO_VARIANTS, 'Hi', '--max-tokens', '2', '--offline'], env)).code, 0);
  });

  /** Starts pulling a new repo whose weights crawl in at `bytesPerSecond`; its small files are linked at once. */
  const startSlowPull = async (repo: string, bytesPerSecond: number, env: NodeJS.ProcessEnv): Promise<{ child: ReturnType<typeof startOwm>; done: ReturnType<typeof waitForOwm> }> => {
    await hub.addRepo(transformersJsRepo(repo, { dataBytes: 1_000_000 }));
    hub.faults.add({ repo, path: 'onnx/model_q4.onnx_data', kind: 'throttle', bytesPerSecond, times: Number.POSITIVE_INFINITY });
    const child = startOwm(['pull', repo], env);
    const done = waitForOwm(child);
    // Wait until the small files are linked (the snapshot exists) while the weights still crawl.
    const snapshots = path.join(repoCacheDir(hubCacheOf(env), repo), 'snapshots');
    for (let waited = 0; waited < 20_000; waited += 100) {
      const linked = existsSync(snapshots) && readdirSync(snapshots, { recursive: true }).some((name) => String(name).endsWith('config.json'));
      if (linked) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { child, done };
  };

  test('a pull killed halfway: list marks it incomplete and verify fails it', async () => {
    const { env } = await createSandbox(hub.url);
    const { child, done } = await startSlowPull('acme/killed', 100_000, env);
    child.kill('SIGKILL');
    await done;
    assert.match((await runOwm(['list'], env)).stdout, /^acme\/killed\s+acme\/killed\s+\S*\s*\(incomplete\)/m);
    const verify = await runOwm(['verify', 'acme/killed'], env);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /^INCOMPLETE acme\/killed@/m);
    assert.match(verify.stderr, /is a pull that never finished: run `owm pull acme\/killed`/);
  });

  test('an rm during a pull of the same model makes the pull fail, not report a model', async () => {
    const { env } = await createSandbox(hub.url);
    const { done } = await startSlowPull('acme/raced', 400_000, env);
    const rm = await runOwm(['rm', 'acme/raced'], env);
    assert.equal(rm.code, 0, rm.stderr);
    const pull = await done;
    assert.equal(pull.code, 1, pull.stderr);
    assert.match(pull.stderr, /was removed from the cache while it was being pulled/);
    assert.doesNotMatch((await runOwm(['list'], env)).stdout, /acme\/raced\s+acme\/raced\s+q4\s+\d/);
  });

  test('a read-only rewritten-graph cache falls back to the original graph with one warning', async (t) => {
    const { env, root } = await createSandbox(hub.url);
    const optimized = path.join(root, 'owm', 'optimized');
    if (!mountTmpfs(t, optimized, 'size=1m,ro')) return;
    try {
      const result = await runOwm(['run', modelDir, 'Hi', '--temperature', '0', '--max-tokens', '8'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((result.stderr.match(/^warning: cannot write the rewritten-graph cache .* \(EROFS\): running the original graph/gm) ?? []).length, 1);
      const original = await runOwm(['run', modelDir, 'Hi', '--temperature', '0', '--max-tokens', '8', '--no-optimize'], env);
      assert.equal(result.stdout, original.stdout);
    } finally {
      execFileSync('umount', [optimized]);
    }
  });

  test('a complete model pulls again (a no-op) from a read-only cache', async (t) => {
    const mountPoint = mkdtempSync(path.join(os.tmpdir(), 'owm-ro-cache-'));
    if (!mountTmpfs(t, mountPoint)) return;
    try {
      const { env } = await createSandbox(hub.url, { HF_HUB_CACHE: mountPoint });
      assert.equal((await runOwm(['pull', TWO_VARIANTS, '-q'], env)).code, 0);
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      const again = await runOwm(['pull', TWO_VARIANTS], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /already pulled/);
      assert.ok(readdirSync(path.join(repoCacheDir(mountPoint, TWO_VARIANTS), 'snapshots')).length === 1);
      assert.equal(hubCacheOf(env), path.join(env.HF_HOME as string, 'hub'));
    } finally {
      execFileSync('umount', [mountPoint]);
    }
  });
});
