import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeToFirstByte } from '../../bench/peers/time-to-first-byte.js';
import { runCommand } from '../../bench/run-command.js';

test('timeToFirstByte stops the clock at the first stdout byte, not at exit', async () => {
  const script = "setTimeout(() => process.stdout.write('x'), 300); setTimeout(() => {}, 1500);";
  const started = performance.now();
  const firstByte = await timeToFirstByte({ command: process.execPath, args: ['-e', script] });
  const total = performance.now() - started;
  assert.ok(firstByte >= 300, `first byte at ${firstByte} ms`);
  assert.ok(total - firstByte >= 900, `exit ${total - firstByte} ms after the first byte`);
});

test('timeToFirstByte and runCommand report a failing command with its last stderr line', async () => {
  const failing = { command: process.execPath, args: ['-e', "console.error('first'); console.error('it broke'); process.exit(3)"] };
  await assert.rejects(timeToFirstByte(failing), /exited with code 3: it broke/);
  await assert.rejects(runCommand(failing.command, failing.args), /exited with code 3: it broke/);
  assert.equal(await runCommand(process.execPath, ['-e', "process.stdout.write('out')"]), 'out');
});
