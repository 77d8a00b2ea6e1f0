import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spread, type Spread } from '../src/runtime/measure-speed.js';
import { startFakeHub } from '../test/support/fake-hub.js';
import { runCommand } from './run-command.js';

/** `owm pull` against `curl` + `sha256sum`, same file, same fake hub on loopback. */
export interface DownloadThroughput {
  fileBytes: number;
  reps: number;
  /** Bytes per second, download and hash verification included. */
  owmBytesPerSecond: Spread;
  curlBytesPerSecond: Spread;
}

const OWM_BIN = fileURLToPath(new URL('../bin/owm.js', import.meta.url));
const REPO = 'bench/download-throughput';
const DATA_FILE = 'onnx/model.onnx_data';

/**
 * Serves a `fileBytes` weights file (with the small files that make it an ONNX variant owm pulls)
 * from the fake hub, then times, `reps` times each and alternating, `owm pull` into an empty cache
 * (it hashes what it downloads) and `curl -L -o` followed by `sha256sum`.
 */
export async function measureDownloadThroughput(options: { fileBytes: number; reps: number; log: (line: string) => void }): Promise<DownloadThroughput> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-bench-download-'));
  const hub = await startFakeHub();
  try {
    const source = path.join(root, 'source');
    mkdirSync(path.join(source, 'onnx'), { recursive: true });
    writeFilledFile(path.join(source, DATA_FILE), options.fileBytes);
    writeFileSync(path.join(source, 'onnx/model.onnx'), randomBytes(4096));
    writeFileSync(path.join(source, 'config.json'), '{"model_type": "llama"}\n');
    writeFileSync(path.join(source, 'tokenizer.json'), '{}\n');
    options.log(`hashing ${Math.round(options.fileBytes / 1e6)} MB for the fake hub`);
    const repo = await hub.addRepo({
      id: REPO,
      files: Object.fromEntries([DATA_FILE, 'onnx/model.onnx', 'config.json', 'tokenizer.json'].map((file) => [file, { fromFile: path.join(source, file) }])),
    });
    const expected = repo.files[DATA_FILE].sha256;
    const totalBytes = Object.values(repo.files).reduce((sum, file) => sum + file.size, 0);
    const owm: number[] = [];
    const curl: number[] = [];
    for (let rep = 1; rep <= options.reps; rep++) {
      options.log(`curl + sha256sum, run ${rep}/${options.reps}`);
      const target = path.join(root, 'curl.bin');
      let started = performance.now();
      await runCommand('curl', ['-sS', '--fail', '-L', '-o', target, `${hub.url}/${REPO}/resolve/main/${DATA_FILE}`]);
      const hash = (await runCommand('sha256sum', [target])).split(' ')[0];
      curl.push(options.fileBytes / ((performance.now() - started) / 1000));
      if (hash !== expected) throw new Error(`curl downloaded a file with sha256 ${hash}, expected ${expected}`);
      rmSync(target);

      options.log(`owm pull, run ${rep}/${options.reps}`);
      const home = path.join(root, `home-${rep}`);
      started = performance.now();
      await runCommand(process.execPath, [OWM_BIN, 'pull', REPO, '--quiet'], {
        ...process.env,
        HOME: home,
        HF_HOME: path.join(home, 'hf'),
        OWM_HOME: path.join(home, 'owm'),
        HF_ENDPOINT: hub.url,
      });
      owm.push(totalBytes / ((performance.now() - started) / 1000));
      rmSync(home, { recursive: true, force: true });
    }
    return { fileBytes: options.fileBytes, reps: options.reps, owmBytesPerSecond: spread(owm), curlBytesPerSecond: spread(curl) };
  } finally {
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Writes `bytes` of random-looking data quickly: one random MiB, varied per block. */
function writeFilledFile(file: string, bytes: number): void {
  const block = randomBytes(2 ** 20);
  const fd = openSync(file, 'w');
  try {
    for (let written = 0, index = 0; written < bytes; index++) {
      block.writeUInt32LE(index, 0);
      const length = Math.min(block.length, bytes - written);
      writeSync(fd, block, 0, length);
      written += length;
    }
  } finally {
    closeSync(fd);
  }
}
