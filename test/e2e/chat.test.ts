import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OWM_BIN } from '../support/run-owm.js';
import { hasTmux, paneText, tmux, waitForPane } from '../support/tmux-pane.js';
import { TINY, writeSyntheticModel } from '../support/synthetic-model/index.js';

const SESSION = `owm-chat-${process.pid}`;

function screen(): string {
  return paneText(SESSION);
}

function waitFor(pattern: RegExp): Promise<string> {
  return waitForPane(SESSION, pattern);
}

function countMatches(text: string, pattern: RegExp): number {
  return (text.match(new RegExp(pattern, 'g')) ?? []).length;
}

describe('owm run: the interactive chat, driven through a terminal (tmux)', { skip: hasTmux() ? false : 'tmux is not installed' }, () => {
  let modelDir: string;
  let exitFile: string;
  let schemaFile: string;

  before(() => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'owm-chat-'));
    modelDir = path.join(root, 'model');
    exitFile = path.join(root, 'exit-code');
    schemaFile = path.join(root, 'ok.json');
    writeFileSync(schemaFile, JSON.stringify({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false }));
    writeSyntheticModel(modelDir, { arch: 'qwen2', style: 'optimum', dtype: 'fp32', shape: TINY, tokenizer: 'qwen', seed: 3 });
    const script = path.join(root, 'chat.sh');
    writeFileSync(script, `export HF_HOME="${root}/hf" OWM_HOME="${root}/owm"\n"${process.execPath}" "${OWM_BIN}" run "${modelDir}" --verbose --max-tokens 8; echo $? > "${exitFile}"; sleep 30\n`);
    tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', `bash ${script}`);
  });
  after(() => {
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // Already gone.
    }
  });

  test('multi-turn history, /set, /show, multi-line input, /clear, Ctrl-C and /bye', async () => {
    await waitFor(/is ready\. Type a message/);
    await waitFor(/>>> $/m);

    tmux('send-keys', '-t', SESSION, '/set temperature 0', 'Enter');
    await waitFor(/temperature: 0/);
    tmux('send-keys', '-t', SESSION, '/set top_p 7', 'Enter');
    await waitFor(/error: top_p must be in \(0, 1\], got 7\./);
    tmux('send-keys', '-t', SESSION, '/show', 'Enter');
    await waitFor(/^temperature +0$/m);
    await waitFor(/^top_k +\d+ \((the model's|owm's) default\)$/m);

    tmux('send-keys', '-t', SESSION, 'Hello there', 'Enter');
    const first = await waitFor(/prompt (\d+) tokens, generated 8 tokens/);
    const firstPrompt = Number(/prompt (\d+) tokens/.exec(first)?.[1]);

    tmux('send-keys', '-t', SESSION, 'And a second \\', 'Enter');
    await waitFor(/^\.\.\. $/m);
    tmux('send-keys', '-t', SESSION, 'line', 'Enter');
    const second = await waitFor(/prompt \d+ tokens[\s\S]*prompt (\d+) tokens \((\d+) already cached\), generated 8 tokens/);
    const prompts = [...second.matchAll(/prompt (\d+) tokens/g)].map((match) => Number(match[1]));
    assert.ok(prompts[1] > firstPrompt + 8, `the second turn carries the first (${prompts.join(', ')})`);
    const cached = Number(/already cached/.test(second) ? /\((\d+) already cached\)/.exec(second)?.[1] : 0);
    assert.ok(cached >= firstPrompt, `the second turn reuses the first turn's cache (${cached} of ${prompts[1]} tokens, first prompt ${firstPrompt})`);

    tmux('send-keys', '-t', SESSION, '/clear', 'Enter');
    await waitFor(/Conversation cleared/);
    tmux('send-keys', '-t', SESSION, 'Hello there', 'Enter');
    await sleep(50);
    const third = await waitFor(/Conversation cleared[\s\S]*prompt (\d+) tokens( \(\d+ already cached\))?, generated 8 tokens/);
    const afterClear = [...third.matchAll(/prompt (\d+) tokens/g)].map((match) => Number(match[1]));
    assert.equal(afterClear.at(-1), firstPrompt, 'after /clear the prompt is as short as the first one');

    tmux('send-keys', '-t', SESSION, `/set schema ${schemaFile}`, 'Enter');
    await waitFor(/format: json matching .*ok\.json/);
    tmux('send-keys', '-t', SESSION, 'Is it ok?', 'Enter');
    await waitFor(/^\{"ok": (true|false)\}$/m);
    tmux('send-keys', '-t', SESSION, '/set format text', 'Enter');
    await waitFor(/format: text/);

    tmux('send-keys', '-t', SESSION, '/set max_tokens 100000', 'Enter');
    await waitFor(/max_tokens: 100000/);
    tmux('send-keys', '-t', SESSION, '/set context 2048', 'Enter');
    await waitFor(/context: 2048/);
    const before = countMatches(screen(), /\(interrupted\)/);
    tmux('send-keys', '-t', SESSION, 'Go on forever', 'Enter');
    await sleep(700);
    tmux('send-keys', '-t', SESSION, 'C-c');
    const stopped = await waitFor(/\(interrupted\)[\s\S]*>>> $/m);
    assert.equal(countMatches(stopped, /\(interrupted\)/), before + 1, 'Ctrl-C stopped the answer and the chat goes on');

    tmux('send-keys', '-t', SESSION, '/bye', 'Enter');
    for (let i = 0; i < 100; i++) {
      try {
        assert.equal(execFileSync('cat', [exitFile], { encoding: 'utf8' }).trim(), '0');
        return;
      } catch {
        await sleep(100);
      }
    }
    assert.fail(`owm did not exit after /bye:\n${screen()}`);
  });
});
