import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadTokenizer, type ModelTokenizer } from '../../src/runtime/load-tokenizer.js';
import { fakeRepoFromFolder, startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { createSandbox, runOwm, startOwm, waitForOwm, OWM_BIN } from '../support/run-owm.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const REPO = 'acme/tiny-qwen';
const GREEDY = ['--temperature', '0'];

interface RunJson {
  text: string;
  stats: { promptTokens: number; generatedTokens: number; stopReason: string; tokenIds: number[]; decodeTokensPerSecond: number };
}

describe('owm run', () => {
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;
  let optimumDir: string;
  let genaiDir: string;
  let thinkDir: string;
  let tokenizer: ModelTokenizer;

  before(async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'owm-run-'));
    optimumDir = path.join(root, 'optimum');
    genaiDir = path.join(root, 'genai');
    for (const dtype of ['fp32', 'q4'] as const) {
      writeSyntheticModel(optimumDir, { arch: 'qwen2', style: 'optimum', dtype, shape: TINY, tokenizer: 'qwen', seed: 7 });
    }
    writeSyntheticModel(genaiDir, { arch: 'qwen2', style: 'genai', dtype: 'q4', shape: TINY, tokenizer: 'qwen', seed: 7 });
    // A reasoning-style template (DeepSeek-R1 distills) opens <think> in the prompt itself.
    thinkDir = path.join(root, 'think');
    cpSync(optimumDir, thinkDir, { recursive: true });
    const configFile = path.join(thinkDir, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    config.chat_template =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}";
    writeFileSync(configFile, JSON.stringify(config));
    tokenizer = await loadTokenizer(optimumDir);
    hub = await startFakeHub();
    await hub.addRepo(await fakeRepoFromFolder(REPO, optimumDir));
    await hub.addRepo(await fakeRepoFromFolder('acme/tiny-qwen-genai', genaiDir));
    const externalDir = path.join(root, 'external');
    writeSyntheticModel(externalDir, { arch: 'llama', style: 'optimum', dtype: 'q4', shape: TINY, tokenizer: 'llama', seed: 7, externalData: true });
    await hub.addRepo(await fakeRepoFromFolder('acme/tiny-llama-q4', externalDir));
    ({ env } = await createSandbox(hub.url));
    const first = await runOwm(['run', REPO, 'Hello', '--max-tokens', '4'], env);
    assert.equal(first.code, 0, `pulls on first use, then answers: ${first.stderr}`);
    assert.match(first.stderr, /pulling acme\/tiny-qwen/);
  });
  after(async () => {
    await hub.close();
  });

  const runJson = async (args: string[], input?: string): Promise<RunJson> => {
    const result = await runOwm(['run', REPO, ...args, '--json'], env, input);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as RunJson;
  };

  test('streams the answer to stdout, ends with a newline, keeps stderr for the rest', async () => {
    const result = await runOwm(['run', REPO, 'Why is the sky blue?', '--max-tokens', '12', '--seed', '1', '--verbose'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.length > 1 && result.stdout.endsWith('\n'));
    assert.doesNotMatch(result.stdout, /prompt \d+ tokens/);
    assert.match(result.stderr, /prompt \d+ tokens, generated 12 tokens \(max-tokens\)/);
    assert.match(result.stderr, /time to first token \d+/);
    assert.match(result.stderr, /prefill [\d.]+ tok\/s, decode [\d.]+ tok\/s/);
  });

  test('the same seed gives the same output byte for byte; another seed another output', async () => {
    const args = ['run', REPO, 'Tell me a story', '--max-tokens', '24', '--temperature', '1.2'];
    const one = await runOwm([...args, '--seed', '42'], env);
    const two = await runOwm([...args, '--seed', '42'], env);
    const other = await runOwm([...args, '--seed', '43'], env);
    assert.equal(one.stdout, two.stdout);
    assert.notEqual(one.stdout, other.stdout);
  });

  test('temperature 0 and top-k 1 are greedy: identical to each other whatever the seed', async () => {
    const zero = await runJson(['Count to ten', '--max-tokens', '16', ...GREEDY, '--seed', '1']);
    const topK = await runJson(['Count to ten', '--max-tokens', '16', '--top-k', '1', '--temperature', '1.5', '--seed', '99']);
    assert.deepEqual(topK.stats.tokenIds, zero.stats.tokenIds);
    assert.equal(topK.text, zero.text);
  });

  test('top-p, min-p and repeat-penalty change what is sampled', async () => {
    const base = ['Write a poem', '--max-tokens', '24', '--seed', '5', '--temperature', '1'];
    const free = await runJson([...base, '--top-k', '0', '--top-p', '1', '--min-p', '0']);
    const tinyP = await runJson([...base, '--top-k', '0', '--top-p', '0.000001']);
    const greedy = await runJson(['Write a poem', '--max-tokens', '24', ...GREEDY]);
    assert.deepEqual(tinyP.stats.tokenIds, greedy.stats.tokenIds, 'a tiny nucleus keeps only the top token');
    assert.notDeepEqual(free.stats.tokenIds, greedy.stats.tokenIds);
    const fullMinP = await runJson([...base, '--top-k', '0', '--min-p', '1']);
    assert.deepEqual(fullMinP.stats.tokenIds, greedy.stats.tokenIds, 'min-p 1 keeps only the top token');
    const penalized = await runJson(['Write a poem', '--max-tokens', '24', ...GREEDY, '--repeat-penalty', '50']);
    const repeats = (ids: number[]): number => ids.length - new Set(ids).size;
    assert.equal(repeats(penalized.stats.tokenIds), 0, 'a huge penalty forbids repeats');
  });

  test('a stop string spanning a token boundary ends the answer and is not printed', async () => {
    const greedy = await runJson(['Say something', '--max-tokens', '20', ...GREEDY]);
    const ids = greedy.stats.tokenIds;
    let boundary = 0;
    let stop = '';
    for (let i = 3; i < ids.length - 1 && !stop; i++) {
      const before = tokenizer.decode(ids.slice(0, i));
      const left = before.slice(-2);
      const right = tokenizer.decode(ids.slice(0, i + 1)).slice(before.length, before.length + 2);
      if (left.length === 2 && right.length === 2 && !(left + right).includes('\uFFFD')) {
        stop = left + right;
        boundary = before.length - 2;
      }
    }
    assert.ok(stop, 'found a boundary to split');
    const expected = greedy.text.slice(0, greedy.text.indexOf(stop));
    assert.ok(greedy.text.indexOf(stop) <= boundary);
    const stopped = await runJson(['Say something', '--max-tokens', '20', ...GREEDY, '--stop', stop]);
    assert.equal(stopped.text, expected);
    assert.equal(stopped.stats.stopReason, 'stop-string');
  });

  test('piped stdin is joined after the prompt with a blank line; stdin alone works', async () => {
    const joined = await runJson(['Summarize:', '--raw', '--max-tokens', '1'], 'line one\nline two\n');
    assert.equal(joined.stats.promptTokens, tokenizer.encode('Summarize:\n\nline one\nline two', { addSpecialTokens: true }).length);
    const alone = await runJson(['--raw', '--max-tokens', '1'], 'only stdin');
    assert.equal(alone.stats.promptTokens, tokenizer.encode('only stdin', { addSpecialTokens: true }).length);
    const none = await runOwm(['run', REPO], env, '');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: No prompt/m);
  });

  test('a closed pipe (| head -c 20) ends owm quietly with status 0', async () => {
    const script = `set -o pipefail; "${process.execPath}" "${OWM_BIN}" run ${REPO} "Go on" --max-tokens 2000 | head -c 20 > /dev/null; echo "status=\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await waitForOwm(child);
    assert.match(result.stdout, /status=0/, result.stderr);
    assert.doesNotMatch(result.stderr, /error|EPIPE/i);
  });

  test('Ctrl-C keeps the partial answer, prints stats with --verbose, exits 130', async () => {
    const child = startOwm(['run', REPO, 'Go on', '--max-tokens', '2000', '--verbose'], env);
    const done = waitForOwm(child);
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.ok(result.stdout.length > 0, 'the partial answer stays printed');
    assert.match(result.stderr, /generated \d+ tokens \(interrupted\)/);
  });

  test('a prompt longer than the context is an error naming both sizes', async () => {
    const result = await runOwm(['run', REPO, 'word '.repeat(40), '--context', '16'], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: The prompt has \d+ tokens but the context is 16 \(the model supports up to 2048: raise it with --context\): shorten the prompt\.$/m);
  });

  test('bad values are usage errors (exit 2); CUDA without CUDA is a clear error', async () => {
    const badFlags = [['--temperature', '-1'], ['--top-p', '1.5'], ['--top-k', '2.5'], ['--device', 'tpu'], ['--max-tokens', '0'], ['--reblock', '96'], ['--reblock', '64', '--exact'], ['--reblock', '128', '--no-optimize']];
    for (const args of badFlags) {
      const result = await runOwm(['run', REPO, 'hi', ...args], env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^error: /m);
    }
    const cuda = await runOwm(['run', REPO, 'hi', '--device', 'cuda'], env);
    assert.equal(cuda.code, 1);
    assert.match(cuda.stderr, /^error: CUDA is not available \(.*\): install the CUDA provider libraries with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node/m);
  });

  test('the genai layout is pulled from the hub and run like the other', async () => {
    const result = await runOwm(['run', 'acme/tiny-qwen-genai', 'Hello', '--max-tokens', '5', ...GREEDY, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as RunJson).stats.generatedTokens, 5);
  });

  test('--think hide drops a reply that stays inside the <think> block the template opened', async () => {
    const args = ['run', thinkDir, 'Is 1001 prime?', '--max-tokens', '12', ...GREEDY];
    const shown = await runOwm(args, env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(shown.stdout.trim().length > 0);
    const hidden = await runOwm([...args, '--think', 'hide'], env);
    assert.equal(hidden.code, 0, hidden.stderr);
    assert.equal(hidden.stdout, '\n', 'everything generated is still thinking');
  });

  test('a transformers.js q4 export from the cache is fused once, reused, re-blocked on request, and removed with the model', async () => {
    const { env: own } = await createSandbox(hub.url);
    const args = ['run', 'acme/tiny-llama-q4', 'Hello', '--max-tokens', '10', ...GREEDY, '--verbose'];
    const first = await runOwm(args, own);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /note: graph optimized now \(.*attention reading the KV cache in place.*accuracy_level → 4/);
    const second = await runOwm(args, own);
    assert.match(second.stderr, /note: optimized graph from cache/);
    assert.equal(second.stdout, first.stdout);
    const exact = await runOwm([...args, '--exact'], own);
    const original = await runOwm([...args, '--no-optimize'], own);
    assert.match(exact.stderr, /note: graph optimized now/);
    assert.doesNotMatch(original.stderr, /note: /);
    assert.equal(exact.stdout, original.stdout, '--exact keeps the greedy output of the original graph');
    const reblocked = await runOwm([...args, '--reblock', '64'], own);
    assert.equal(reblocked.code, 0, reblocked.stderr);
    assert.match(reblocked.stderr, /note: graph optimized now \(.*4-bit weights of \d+ MatMulNBits re-quantized into blocks of 64/);
    assert.ok(reblocked.stdout.trim().length > 0);
    const optimized = path.join(own.OWM_HOME as string, 'optimized');
    assert.equal(readdirSync(optimized).length, 3);
    assert.equal((await runOwm(['rm', 'acme/tiny-llama-q4'], own)).code, 0);
    assert.deepEqual(readdirSync(optimized), [], 'fused graphs (which hard-link the weights) go with the model');
  });

  test('runs local folders in both layouts without the hub, and picks variants', async () => {
    const genai = await runOwm(['run', genaiDir, 'Hello', '--max-tokens', '6', ...GREEDY, '--json'], { ...env, HF_HUB_OFFLINE: '1' });
    assert.equal(genai.code, 0, genai.stderr);
    assert.equal((JSON.parse(genai.stdout) as RunJson).stats.generatedTokens, 6);
    // The genai graph is adapted (new-row KV outputs, last-position logits): the same tokens as the export itself.
    const genaiAsIs = await runOwm(['run', genaiDir, 'Hello', '--max-tokens', '6', ...GREEDY, '--json', '--no-optimize'], { ...env, HF_HUB_OFFLINE: '1' });
    assert.deepEqual((JSON.parse(genaiAsIs.stdout) as RunJson).stats.tokenIds, (JSON.parse(genai.stdout) as RunJson).stats.tokenIds);
    const fp32 = await runOwm(['run', optimumDir, 'Hello', '--variant', 'fp32', '--max-tokens', '6', ...GREEDY, '--json'], env);
    assert.equal(fp32.code, 0, fp32.stderr);
    const genaiIds = (JSON.parse(genai.stdout) as RunJson).stats.tokenIds;
    const fp32Ids = (JSON.parse(fp32.stdout) as RunJson).stats.tokenIds;
    assert.equal(genaiIds.length, fp32Ids.length);
    const missing = await runOwm(['run', path.join(optimumDir, 'nope'), 'Hello'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .*nope is not a folder/m);
  });

  test('--prompt-lookup prints the same answer, and --verbose says how many drafts were accepted', async () => {
    // Attention off: the greedy answer follows a fixed chain of tokens that soon comes round again, which prompt lookup then copies.
    const quotingDir = path.join(path.dirname(optimumDir), 'quoting');
    writeSyntheticModel(quotingDir, { arch: 'qwen2', style: 'optimum', dtype: 'q4', shape: TINY, tokenizer: 'qwen', seed: 7, attentionShare: 0 });
    const args = ['run', quotingDir, 'Hello', '--max-tokens', '400', ...GREEDY, '--verbose'];
    const plain = await runOwm(args, env);
    const lookup = await runOwm([...args, '--prompt-lookup'], env);
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.equal(lookup.stdout, plain.stdout);
    assert.doesNotMatch(plain.stderr, /prompt lookup/);
    const [, accepted, drafted] = /prompt lookup: (\d+) of (\d+) drafted tokens accepted/.exec(lookup.stderr) ?? [];
    assert.ok(Number(accepted) > 100 && Number(drafted) >= Number(accepted), lookup.stderr);
  });
});
