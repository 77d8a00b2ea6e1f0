import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileDownloadInfo, HubApiError, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import {
  fakeRepoFromFolder,
  gitBlobSha1,
  sha256Hex,
  startFakeHub,
  type FakeHub,
  type FakeRepoInfo,
} from './fake-hub.js';

/** Deterministic, non-repeating-looking bytes. */
function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + seed * 17 + (i >> 9)) & 0xff;
  return bytes;
}

async function bodyOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

async function rejectsWith(promise: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HubApiError, `expected HubApiError, got ${String(error)}`);
    assert.equal(error.statusCode, status);
    assert.match(error.message, message);
    return true;
  });
}

const CONFIG = JSON.stringify({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2' });
const MODEL = pattern(200_000, 1);
const MODEL_DATA = pattern(300_000, 2);

describe('fake hub', () => {
  let hub: FakeHub;
  let tiny: FakeRepoInfo;

  before(async () => {
    hub = await startFakeHub({ treePageSize: 3 });
    tiny = await hub.addRepo({
      id: 'org/tiny',
      license: 'apache-2.0',
      files: {
        'config.json': CONFIG,
        'tokenizer.json': '{"model":{}}',
        'README.md': '# tiny\n',
        'onnx/model_q4.onnx': MODEL,
        'onnx/model_q4.onnx_data': MODEL_DATA,
        'onnx/sub/notes.txt': 'hello\n',
      },
    });
    hub.setRef('org/tiny', 'refs/pr/1', tiny.commit);
    await hub.addRepo({ id: 'org/gated', gated: 'manual', files: { 'config.json': CONFIG, 'model.onnx': MODEL } });
    await hub.addRepo({ id: 'org/private', private: true, files: { 'config.json': CONFIG } });
    hub.addToken('hf_good', { repos: ['org/gated', 'org/private'] });
    hub.addToken('hf_nogate');
  });

  after(async () => {
    assert.deepEqual(hub.serverErrors, []);
    await hub.close();
  });

  it('describes files with git blob sha1 and sha256 as the Hub does', () => {
    assert.equal(gitBlobSha1('hello\n'), 'ce013625030ba8dba906f756967f9e9ca394464a');
    assert.equal(sha256Hex('hello\n'), '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    const config = tiny.files['config.json']!;
    assert.deepEqual(config, { path: 'config.json', size: CONFIG.length, oid: gitBlobSha1(CONFIG), sha256: sha256Hex(CONFIG), etag: gitBlobSha1(CONFIG) });
    const model = tiny.files['onnx/model_q4.onnx']!;
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(MODEL)}\nsize ${MODEL.length}\n`;
    assert.equal(model.oid, gitBlobSha1(pointer));
    assert.deepEqual(model.lfs, { oid: sha256Hex(MODEL), size: MODEL.length, pointerSize: pointer.length });
    assert.equal(model.etag, sha256Hex(MODEL));
    assert.match(tiny.commit, /^[0-9a-f]{40}$/);
  });

  it('answers model info for HEAD, branches, commits, encoded refs and expand', async () => {
    const base = `${hub.url}/api/models/org/tiny`;
    for (const suffix of ['', '/revision/HEAD', '/revision/main', `/revision/${tiny.commit}`, '/revision/refs%2Fpr%2F1']) {
      const response = await fetch(base + suffix);
      assert.equal(response.status, 200, suffix);
      const info = (await response.json()) as Record<string, unknown>;
      assert.equal(info.sha, tiny.commit);
      assert.equal(info.id, 'org/tiny');
      assert.equal(info.gated, false);
      assert.deepEqual(info.cardData, { license: 'apache-2.0' });
      assert.deepEqual(info.config, { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2' });
      assert.deepEqual(
        (info.siblings as Array<{ rfilename: string }>).map((s) => s.rfilename),
        Object.keys(tiny.files).sort(),
      );
    }
    const picked = (await (await fetch(`${base}/revision/main?expand=sha&expand=gated`)).json()) as object;
    assert.deepEqual(Object.keys(picked), ['_id', 'id', 'sha', 'gated']);
    const blobs = (await (await fetch(`${base}?blobs=true`)).json()) as { siblings: Array<Record<string, unknown>> };
    assert.deepEqual(blobs.siblings.find((s) => s.rfilename === 'onnx/model_q4.onnx'), {
      rfilename: 'onnx/model_q4.onnx',
      blobId: tiny.files['onnx/model_q4.onnx']!.oid,
      size: MODEL.length,
      lfs: { sha256: sha256Hex(MODEL), size: MODEL.length, pointerSize: tiny.files['onnx/model_q4.onnx']!.lfs!.pointerSize },
    });
  });

  it('serves @huggingface/hub modelInfo', async () => {
    const info = await modelInfo({ name: 'org/tiny', hubUrl: hub.url, additionalFields: ['sha', 'cardData', 'filePaths'] });
    assert.equal(info.name, 'org/tiny');
    assert.equal(info.sha, tiny.commit);
    assert.equal(info.gated, false);
    assert.equal(info.private, false);
    assert.deepEqual(info.cardData, { license: 'apache-2.0' });
    assert.deepEqual(info.filePaths, Object.keys(tiny.files).sort());
    assert.ok(!Number.isNaN(info.updatedAt.getTime()));
    const atPr = await modelInfo({ name: 'org/tiny', hubUrl: hub.url, revision: 'refs/pr/1', additionalFields: ['sha'] });
    assert.equal(atPr.sha, tiny.commit);
  });

  it('pages the tree with absolute Link headers that @huggingface/hub listFiles follows', async () => {
    const before = hub.requests.length;
    const entries = [];
    for await (const entry of listFiles({ repo: 'org/tiny', recursive: true, hubUrl: hub.url })) entries.push(entry);
    const pages = hub.requests.slice(before).filter((r) => r.url.includes('/tree/'));
    assert.equal(pages.length, 3, 'eight entries at three per page');
    assert.deepEqual(
      entries.map((e) => `${e.type}:${e.path}`),
      [
        'file:README.md',
        'file:config.json',
        'directory:onnx',
        'file:onnx/model_q4.onnx',
        'file:onnx/model_q4.onnx_data',
        'directory:onnx/sub',
        'file:onnx/sub/notes.txt',
        'file:tokenizer.json',
      ],
    );
    for (const entry of entries.filter((e) => e.type === 'file')) {
      const file = tiny.files[entry.path]!;
      assert.equal(entry.oid, file.oid);
      assert.equal(entry.size, file.size);
      assert.deepEqual(entry.lfs, file.lfs);
    }
    assert.match(entries.find((e) => e.path === 'onnx')!.oid!, /^[0-9a-f]{40}$/);

    const first = await fetch(`${hub.url}/api/models/org/tiny/tree/main?recursive=true&expand=false`);
    assert.match(first.headers.get('link')!, new RegExp(`^<${hub.url}/api/models/org/tiny/tree/main\\?recursive=true&expand=false&cursor=[\\w-]+>; rel="next"$`));

    const top = [];
    for await (const entry of listFiles({ repo: 'org/tiny', hubUrl: hub.url })) top.push(entry.path);
    assert.deepEqual(top, ['README.md', 'config.json', 'onnx', 'tokenizer.json']);
    const inOnnx = [];
    for await (const entry of listFiles({ repo: 'org/tiny', path: 'onnx', expand: true, revision: 'refs/pr/1', hubUrl: hub.url })) {
      assert.equal(entry.lastCommit?.id, tiny.commit);
      inOnnx.push(entry.path);
    }
    assert.deepEqual(inOnnx, ['onnx/model_q4.onnx', 'onnx/model_q4.onnx_data', 'onnx/sub']);
  });

  it('answers paths-info for JSON (JS client) and form (Python client) bodies', async () => {
    const infos = await pathsInfo({
      repo: 'org/tiny',
      paths: ['config.json', 'onnx', 'missing.txt', 'onnx/model_q4.onnx'],
      expand: true,
      hubUrl: hub.url,
    });
    assert.deepEqual(
      infos.map((i) => [i.path, i.type, i.oid, i.size, i.lfs?.oid]),
      [
        ['config.json', 'file', tiny.files['config.json']!.oid, CONFIG.length, undefined],
        ['onnx', 'directory', infos[1]!.oid, 0, undefined],
        ['onnx/model_q4.onnx', 'file', tiny.files['onnx/model_q4.onnx']!.oid, MODEL.length, sha256Hex(MODEL)],
      ],
    );
    assert.equal(infos[0]!.lastCommit.id, tiny.commit);

    const response = await fetch(`${hub.url}/api/models/org/tiny/paths-info/${tiny.commit}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'paths=tokenizer.json&paths=nope&expand=True',
    });
    const entries = (await response.json()) as Array<{ path: string; lastCommit?: { id: string } }>;
    assert.deepEqual(entries.map((e) => [e.path, e.lastCommit?.id]), [['tokenizer.json', tiny.commit]]);
  });

  it('serves @huggingface/hub fileDownloadInfo for small and LFS files', async () => {
    const small = await fileDownloadInfo({ repo: 'org/tiny', path: 'config.json', hubUrl: hub.url });
    assert.equal(small?.etag, `"${tiny.files['config.json']!.oid}"`);
    assert.equal(small?.size, CONFIG.length);
    const big = await fileDownloadInfo({ repo: 'org/tiny', path: 'onnx/model_q4.onnx_data', hubUrl: hub.url });
    assert.equal(big?.etag, `"${sha256Hex(MODEL_DATA)}"`);
    assert.equal(big?.size, MODEL_DATA.length);
    assert.ok(big?.url.startsWith(hub.cdnUrl));
    assert.equal(await fileDownloadInfo({ repo: 'org/tiny', path: 'nope.json', hubUrl: hub.url }), null);
  });

  it('redirects LFS files to a signed CDN URL that serves ranges', async () => {
    const resolveUrl = `${hub.url}/org/tiny/resolve/main/onnx/model_q4.onnx_data`;
    const locations = [];
    for (const method of ['HEAD', 'GET']) {
      const response = await fetch(resolveUrl, { method, redirect: 'manual' });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('x-linked-etag'), `"${sha256Hex(MODEL_DATA)}"`);
      assert.equal(response.headers.get('x-linked-size'), String(MODEL_DATA.length));
      assert.equal(response.headers.get('etag'), `"${tiny.files['onnx/model_q4.onnx_data']!.oid}"`);
      assert.equal(response.headers.get('x-repo-commit'), tiny.commit);
      locations.push(response.headers.get('location')!);
    }
    assert.ok(locations[0]!.startsWith(`${hub.cdnUrl}/`));
    assert.notEqual(locations[0], locations[1], 'each redirect is freshly signed');
    const cdn = locations[1]!;

    const whole = await fetch(cdn);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-length'), String(MODEL_DATA.length));
    assert.equal(sha256Hex(await bodyOf(whole)), sha256Hex(MODEL_DATA));

    const cases: Array<[string, number, number]> = [
      ['bytes=1000-', 1000, MODEL_DATA.length - 1],
      ['bytes=10-19', 10, 19],
      ['bytes=0-0', 0, 0],
      ['bytes=-5', MODEL_DATA.length - 5, MODEL_DATA.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const part = await fetch(cdn, { headers: { Range: range } });
      assert.equal(part.status, 206, range);
      assert.equal(part.headers.get('content-range'), `bytes ${start}-${end}/${MODEL_DATA.length}`);
      assert.deepEqual(await bodyOf(part), MODEL_DATA.subarray(start, end + 1));
    }
    const past = await fetch(cdn, { headers: { Range: `bytes=${MODEL_DATA.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${MODEL_DATA.length}`);
    await past.arrayBuffer();

    const forged = await fetch(cdn.replace(/Signature=[^&]+/, 'Signature=guessed'));
    assert.equal(forged.status, 403);
    await forged.arrayBuffer();
  });

  it('serves small files from the hub itself, with ranges, and raw LFS pointers', async () => {
    const small = await fetch(`${hub.url}/org/tiny/resolve/${tiny.commit}/config.json`);
    assert.equal(small.status, 200);
    assert.equal(small.headers.get('etag'), `"${tiny.files['config.json']!.oid}"`);
    assert.equal(small.headers.get('x-repo-commit'), tiny.commit);
    assert.equal((await bodyOf(small)).toString(), CONFIG);
    const part = await fetch(`${hub.url}/org/tiny/resolve/main/config.json`, { headers: { Range: 'bytes=2-' } });
    assert.equal(part.status, 206);
    assert.equal((await bodyOf(part)).toString(), CONFIG.slice(2));
    const nested = await fetch(`${hub.url}/org/tiny/resolve/refs%2Fpr%2F1/onnx/sub/notes.txt`);
    assert.equal(await nested.text(), 'hello\n');
    const raw = await fetch(`${hub.url}/org/tiny/raw/main/onnx/model_q4.onnx`);
    assert.match(await raw.text(), new RegExp(`^version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(MODEL)}\n`));
  });

  it('reports each Hub error the way @huggingface/hub and huggingface_hub expect', async () => {
    const hubUrl = hub.url;
    await rejectsWith(modelInfo({ name: 'org/none', hubUrl }), 401, /^Repository not found/);
    await rejectsWith(modelInfo({ name: 'org/none', hubUrl, accessToken: 'hf_nogate' }), 404, /^Repository not found/);
    await rejectsWith(modelInfo({ name: 'org/private', hubUrl }), 401, /^Repository not found/);
    await rejectsWith(modelInfo({ name: 'org/private', hubUrl, accessToken: 'hf_nogate' }), 404, /^Repository not found/);
    assert.equal((await modelInfo({ name: 'org/private', hubUrl, accessToken: 'hf_good' })).private, true);
    await rejectsWith(modelInfo({ name: 'org/tiny', hubUrl, accessToken: 'hf_unknown' }), 401, /^Invalid credentials in Authorization header/);
    await rejectsWith(modelInfo({ name: 'org/tiny', hubUrl, revision: 'nope' }), 404, /^Invalid rev id: nope/);

    // Gating guards the files, not the metadata.
    assert.equal((await modelInfo({ name: 'org/gated', hubUrl })).gated, 'manual');
    const gatedFile = { repo: 'org/gated', path: 'model.onnx', hubUrl };
    await rejectsWith(fileDownloadInfo(gatedFile), 401, /^Access to model org\/gated is restricted\. You must have access to it and be authenticated/);
    await rejectsWith(fileDownloadInfo({ ...gatedFile, accessToken: 'hf_nogate' }), 403, /not in the authorized list/);
    const granted = await fileDownloadInfo({ ...gatedFile, accessToken: 'hf_good' });
    assert.equal(granted?.etag, `"${sha256Hex(MODEL)}"`);
    assert.equal(hub.cdnSawAuthorization, false, 'the token never reaches the CDN');

    const expectations: Array<[string, RequestInit, number, string | null]> = [
      ['/api/models/org/none', {}, 401, 'RepoNotFound'],
      ['/org/gated/resolve/main/model.onnx', {}, 401, 'GatedRepo'],
      ['/org/gated/resolve/main/model.onnx', { headers: { Authorization: 'Bearer hf_nogate' } }, 403, 'GatedRepo'],
      ['/api/models/org/tiny', { headers: { Authorization: 'Bearer hf_unknown' } }, 401, null],
      ['/org/tiny/resolve/nope/config.json', {}, 404, 'RevisionNotFound'],
      ['/api/models/org/tiny/tree/nope', {}, 404, 'RevisionNotFound'],
      ['/org/tiny/resolve/main/nope.json', { method: 'HEAD' }, 404, 'EntryNotFound'],
    ];
    for (const [url, init, status, code] of expectations) {
      const response = await fetch(hub.url + url, init);
      assert.equal(response.status, status, url);
      assert.equal(response.headers.get('x-error-code'), code, url);
      assert.ok(response.headers.get('x-error-message'), url);
      if (init.method !== 'HEAD') {
        assert.equal(((await response.json()) as { error: string }).error, response.headers.get('x-error-message'));
      }
    }
    const missing = await fetch(`${hub.url}/org/tiny/resolve/main/nope.json`);
    assert.equal(missing.headers.get('x-repo-commit'), tiny.commit);
    await missing.arrayBuffer();
  });

  it('moves main on a new commit while old commits stay reachable', async () => {
    const first = await hub.addRepo({ id: 'org/moving', files: { 'a.txt': 'one', 'w.onnx': MODEL, 'keep.txt': 'same' } });
    const second = await hub.commit('org/moving', { files: { 'a.txt': 'two', 'new.txt': 'new' }, deletes: ['w.onnx'] });
    assert.notEqual(second.commit, first.commit);
    assert.deepEqual(Object.keys(second.files).sort(), ['a.txt', 'keep.txt', 'new.txt']);
    const hubUrl = hub.url;
    assert.equal((await modelInfo({ name: 'org/moving', hubUrl, additionalFields: ['sha'] })).sha, second.commit);
    const old = await fileDownloadInfo({ repo: 'org/moving', path: 'a.txt', revision: first.commit, hubUrl });
    assert.equal(old?.etag, `"${gitBlobSha1('one')}"`);
    assert.equal(await fileDownloadInfo({ repo: 'org/moving', path: 'w.onnx', hubUrl }), null);
    assert.ok(await fileDownloadInfo({ repo: 'org/moving', path: 'w.onnx', revision: first.commit, hubUrl }));
    const last = await pathsInfo({ repo: 'org/moving', paths: ['a.txt', 'keep.txt'], expand: true, hubUrl });
    assert.deepEqual(last.map((i) => i.lastCommit.id), [second.commit, first.commit]);
  });

  it('serves a folder from disk, storing big files in LFS whatever their name', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fake-hub-'));
    try {
      const big = pattern(11 * 1024 * 1024, 3);
      await mkdir(path.join(dir, 'onnx'));
      await writeFile(path.join(dir, 'config.json'), CONFIG);
      await writeFile(path.join(dir, 'onnx', 'model.onnx'), MODEL);
      await writeFile(path.join(dir, 'big.txt'), big);
      const spec = await fakeRepoFromFolder('org/folder', dir, { license: 'mit' });
      assert.deepEqual(Object.keys(spec.files).sort(), ['big.txt', 'config.json', 'onnx/model.onnx']);
      const info = await hub.addRepo(spec);
      assert.equal(info.files['config.json']!.lfs, undefined);
      assert.equal(info.files['onnx/model.onnx']!.etag, sha256Hex(MODEL));
      assert.equal(info.files['big.txt']!.lfs?.oid, sha256Hex(big));
      const response = await fetch(`${hub.url}/org/folder/resolve/main/big.txt`, { headers: { Range: `bytes=${big.length - 100}-` } });
      assert.equal(response.status, 206);
      assert.ok(response.url.startsWith(hub.cdnUrl));
      assert.deepEqual(await bodyOf(response), big.subarray(big.length - 100));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fake hub faults', () => {
  let hub: FakeHub;
  const DATA = pattern(256 * 1024, 4);
  const resolveUrl = () => `${hub.url}/org/faulty/resolve/main/weights.onnx_data`;

  before(async () => {
    hub = await startFakeHub();
    await hub.addRepo({ id: 'org/faulty', files: { 'config.json': CONFIG, 'weights.onnx_data': DATA } });
  });

  after(async () => {
    assert.deepEqual(hub.faults.pending(), []);
    assert.deepEqual(hub.serverErrors, []);
    await hub.close();
  });

  it('answers 500 a given number of times, then succeeds', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'status', status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(resolveUrl(), { redirect: 'manual' });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [500, 500, 302]);
    hub.faults.add({ endpoint: 'model-info', kind: 'status', status: 503 });
    await rejectsWith(modelInfo({ name: 'org/faulty', hubUrl: hub.url }), 503, /Internal Error/);
    assert.equal((await modelInfo({ name: 'org/faulty', hubUrl: hub.url })).name, 'org/faulty');
  });

  it('rate-limits with Retry-After, on the hub or the CDN', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'status', status: 429, retryAfter: 2 });
    const limited = await fetch(resolveUrl());
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    await limited.arrayBuffer();
    hub.faults.add({ path: 'weights.onnx_data', endpoint: 'cdn', kind: 'status', status: 500 });
    const failed = await fetch(resolveUrl());
    assert.equal(failed.status, 500);
    assert.ok(failed.url.startsWith(hub.cdnUrl));
    await failed.arrayBuffer();
    assert.equal(sha256Hex(await bodyOf(await fetch(resolveUrl()))), sha256Hex(DATA));
  });

  it('drops the connection after a number of body bytes', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'drop-after', bytes: 100_000 });
    const response = await fetch(resolveUrl());
    assert.equal(response.status, 200);
    let received = 0;
    await assert.rejects(async () => {
      for await (const chunk of response.body!) received += chunk.length;
    });
    assert.equal(received, 100_000);
    assert.equal((await bodyOf(await fetch(resolveUrl()))).length, DATA.length);
  });

  it('flips bytes of one body, keeping its length, and spares size probes', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'corrupt' });
    assert.equal((await fileDownloadInfo({ repo: 'org/faulty', path: 'weights.onnx_data', hubUrl: hub.url }))?.size, DATA.length);
    const bad = await bodyOf(await fetch(resolveUrl()));
    assert.equal(bad.length, DATA.length);
    assert.notEqual(sha256Hex(bad), sha256Hex(DATA));
    assert.equal(sha256Hex(await bodyOf(await fetch(resolveUrl()))), sha256Hex(DATA));
    hub.faults.add({ path: 'config.json', kind: 'corrupt' });
    const config = await bodyOf(await fetch(`${hub.url}/org/faulty/resolve/main/config.json`));
    assert.equal(config.length, CONFIG.length);
    assert.notEqual(config.toString(), CONFIG);
  });

  it('throttles a body', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'throttle', bytesPerSecond: 200_000 });
    const started = Date.now();
    const body = await bodyOf(await fetch(resolveUrl(), { headers: { Range: 'bytes=0-59999' } }));
    assert.deepEqual(body, DATA.subarray(0, 60_000));
    assert.ok(Date.now() - started >= 250, `60 kB at 200 kB/s took ${Date.now() - started} ms`);
  });

  it('stalls a body without closing it', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'stall-after', bytes: 1000 });
    const abort = new AbortController();
    const response = await fetch(resolveUrl(), { signal: abort.signal });
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 1000) received += (await reader.read()).value!.length;
    assert.equal(received, 1000);
    const next = await Promise.race([reader.read().then(() => 'data'), new Promise((r) => setTimeout(r, 300, 'stalled'))]);
    assert.equal(next, 'stalled');
    abort.abort();
    await assert.rejects(reader.read());
  });

  it('ignores a range when told to, answering 200 with the whole body', async () => {
    hub.faults.add({ path: 'weights.onnx_data', kind: 'ignore-range' });
    const response = await fetch(resolveUrl(), { headers: { Range: 'bytes=1000-' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-range'), null);
    assert.equal((await bodyOf(response)).length, DATA.length);
    const honoured = await fetch(resolveUrl(), { headers: { Range: 'bytes=1000-' } });
    assert.equal(honoured.status, 206);
    await honoured.arrayBuffer();
  });

  it('notices a token sent to the CDN', async () => {
    hub.addToken('hf_x');
    const redirect = await fetch(resolveUrl(), { redirect: 'manual', headers: { Authorization: 'Bearer hf_x' } });
    assert.equal(hub.cdnSawAuthorization, false);
    const leaked = await fetch(redirect.headers.get('location')!, { headers: { Authorization: 'Bearer hf_x' } });
    await leaked.arrayBuffer();
    assert.equal(hub.cdnSawAuthorization, true);
  });
});
