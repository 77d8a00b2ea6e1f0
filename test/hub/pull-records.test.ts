import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CacheError } from '../../src/errors.js';
import { forgetPull, readPullRecords, recordPull, touchLastUsed, type NewPullRecord } from '../../src/hub/pull-records.js';

const run = promisify(execFile);
const MODULE = pathToFileURL(fileURLToPath(new URL('../../src/hub/pull-records.ts', import.meta.url))).href;
const COMMIT = 'b'.repeat(40);

function pull(repo: string, variant: string): NewPullRecord {
  return { repo, commit: COMMIT, revision: 'main', variant, files: ['config.json', `onnx/model_${variant}.onnx`] };
}

describe('pull records', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'owm-state-')), 'owm');
  });
  afterEach(async () => {
    await rm(path.dirname(stateDir), { recursive: true, force: true });
  });

  it('reads an empty list when nothing was pulled yet', async () => {
    assert.deepEqual(await readPullRecords(stateDir), []);
  });

  it('round-trips records, one per repo and variant', async () => {
    const stored = await recordPull(stateDir, {
      ...pull('org/a', 'q4'),
      name: 'a',
      pulledAt: '2025-01-02T03:04:05.000Z',
    });
    assert.equal(stored.lastUsedAt, '2025-01-02T03:04:05.000Z');
    await recordPull(stateDir, pull('org/a', 'fp16'));
    await recordPull(stateDir, { ...pull('org/a', 'q4'), commit: 'c'.repeat(40) });
    await recordPull(stateDir, pull('org/b', 'q4'));

    const records = await readPullRecords(stateDir);
    assert.deepEqual(
      records.map((r) => [r.repo, r.variant, r.commit.slice(0, 1)]),
      [
        ['org/a', 'fp16', 'b'],
        ['org/a', 'q4', 'c'],
        ['org/b', 'q4', 'b'],
      ],
    );
    assert.deepEqual(records[1]?.files, ['config.json', 'onnx/model_q4.onnx']);
    assert.deepEqual(await readdir(stateDir), ['pulls.json', 'pulls.json.lock']);
  });

  it('touches last-used times and forgets one variant or a whole repo', async () => {
    await recordPull(stateDir, { ...pull('org/a', 'q4'), pulledAt: '2025-01-01T00:00:00.000Z' });
    await recordPull(stateDir, pull('org/a', 'fp16'));
    await recordPull(stateDir, pull('org/b', 'q4'));

    const touched = await touchLastUsed(stateDir, 'org/a', 'q4', new Date('2025-06-01T00:00:00Z'));
    assert.equal(touched?.lastUsedAt, '2025-06-01T00:00:00.000Z');
    assert.equal(touched?.pulledAt, '2025-01-01T00:00:00.000Z');
    assert.equal(await touchLastUsed(stateDir, 'org/none', 'q4'), undefined);
    const reread = (await readPullRecords(stateDir)).find((r) => r.variant === 'q4' && r.repo === 'org/a');
    assert.equal(reread?.lastUsedAt, touched?.lastUsedAt);

    assert.deepEqual(
      (await forgetPull(stateDir, 'org/a', 'fp16')).map((r) => r.variant),
      ['fp16'],
    );
    await recordPull(stateDir, pull('org/a', 'int8'));
    assert.equal((await forgetPull(stateDir, 'org/a')).length, 2);
    assert.deepEqual(
      (await readPullRecords(stateDir)).map((r) => r.repo),
      ['org/b'],
    );
  });

  it('names a corrupt file and says to delete it', async () => {
    await recordPull(stateDir, pull('org/a', 'q4'));
    const file = path.join(stateDir, 'pulls.json');
    for (const text of ['{"version":1,"pulls":[', '{"version":1,"pulls":[{"repo":"org/a"}]}']) {
      await writeFile(file, text);
      // Started one at a time: a second promise failing while the first is awaited would be an unhandled rejection.
      for (const attempt of [() => readPullRecords(stateDir), () => recordPull(stateDir, pull('org/b', 'q4'))]) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(error instanceof CacheError);
          assert.equal(error.code, 'corrupt-state');
          assert.ok(error.message.includes(file));
          assert.match(error.message, /delete it/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        });
      }
    }
  });

  it('loses no record when writers in one process race', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => recordPull(stateDir, pull('org/a', `v${i}`))));
    assert.equal((await readPullRecords(stateDir)).length, 20);
  });

  it('loses no record when two processes write at once', async () => {
    const writer = (tag: string) =>
      run(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { recordPull } = await import(${JSON.stringify(MODULE)});
         for (let i = 0; i < 15; i++) {
           const record = { repo: 'org/${tag}', commit: '${COMMIT}', revision: 'main', variant: 'v' + i, files: [] };
           await recordPull(${JSON.stringify(stateDir)}, record);
         }`,
      ]);
    await Promise.all([writer('one'), writer('two')]);
    const records = await readPullRecords(stateDir);
    assert.equal(records.length, 30);
    assert.deepEqual(new Set(records.map((r) => r.repo)), new Set(['org/one', 'org/two']));
    assert.deepEqual((await readdir(stateDir)).sort(), ['pulls.json', 'pulls.json.lock']);
  });
});
