import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakeHub, type FakeHub } from '../support/fake-hub.js';
import { transformersJsRepo } from '../support/fake-model-repos.js';
import { OWM_BIN } from '../support/run-owm.js';
import { hasTmux, tmux, waitForPane } from '../support/tmux-pane.js';

const SESSION = `owm-pull-tty-${process.pid}`;
const LLAMA = 'onnx-community/Llama-3.2-1B-Instruct';

function waitForScreen(pattern: RegExp): Promise<string> {
  return waitForPane(SESSION, pattern);
}

describe('owm pull on a terminal (tmux)', { skip: hasTmux() ? false : 'tmux is not installed' }, () => {
  let hub: FakeHub;
  let root: string;

  before(async () => {
    hub = await startFakeHub();
    await hub.addRepo({ ...transformersJsRepo(LLAMA, { dataBytes: 4_000_000 }), license: 'llama3.2' });
    hub.faults.add({ endpoint: 'cdn', kind: 'throttle', bytesPerSecond: 1_000_000, times: Number.POSITIVE_INFINITY });
    root = mkdtempSync(path.join(os.tmpdir(), 'owm-pull-tty-'));
  });
  after(async () => {
    try {
      tmux('kill-session', '-t', SESSION);
    } catch {
      // Already gone.
    }
    await hub.close();
  });

  test('asks for the license, then draws a bar per file and a total with speed and ETA', async () => {
    const exitFile = path.join(root, 'exit-code');
    const script = path.join(root, 'pull.sh');
    writeFileSync(
      script,
      `export HF_ENDPOINT=${hub.url} HF_HOME=${root}/hf OWM_HOME=${root}/owm\n"${process.execPath}" "${OWM_BIN}" pull llama3.2-1b; echo $? > "${exitFile}"; sleep 30\n`,
    );
    tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '30', `bash ${script}`);
    await waitForScreen(/distributed under Llama 3\.2 Community License: https:\/\/www\.llama\.com\/llama3_2\/license\/[\s\S]*Do you accept its terms\? \[y\/N\]/);
    tmux('send-keys', '-t', SESSION, 'y', 'Enter');
    const bars = await waitForScreen(/onnx\/model_q4\.onnx_data\s+\S*[█░]+\S*\s+[\d.]+ [KM]B\/4\.00 MB/);
    assert.match(bars, /llama3\.2-1b\s+\S*[█░]+\S*\s+\d+% [\d.]+ [KM]?B\/4\.\d+ MB, [\d.]+ [KM]?B\/s, ETA \S+/);
    await waitForScreen(/pulled llama3\.2-1b \(q4, 7 files\)/);
    for (let i = 0; i < 50 && !existsSync(exitFile); i++) await sleep(100);
    assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
  });
});
