import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransferMeter } from '../../src/cli/ui/transfer-meter.js';
import type { PullPlan } from '../../src/hub/pull-snapshot.js';

const plan = (totalBytes: number, bytesToDownload: number): PullPlan => ({
  repo: 'a/b',
  revision: 'main',
  commit: 'c'.repeat(40),
  gated: false,
  variant: 'q4',
  files: [],
  totalBytes,
  bytesToDownload,
});

test('speed counts only the bytes moved in this run: a resumed file and a cached blob do not inflate it', () => {
  let now = 0;
  const meter = new TransferMeter(() => now);
  meter.update({ type: 'plan', plan: plan(3000, 1100) });
  // A cached blob reports its whole size at once.
  meter.update({ type: 'file-progress', path: 'cached', bytesDone: 1000, size: 1000 });
  meter.update({ type: 'file-done', path: 'cached', outcome: 'cached' });
  // A resumed file starts at its partial size.
  meter.update({ type: 'file-progress', path: 'resumed', bytesDone: 900, size: 1000 });
  now = 1000;
  meter.update({ type: 'file-progress', path: 'resumed', bytesDone: 1000, size: 1000 });
  assert.equal(meter.transferredBytes, 100);
  assert.equal(meter.completedBytes, 2000);
  assert.ok(Math.abs(meter.bytesPerSecond - 100) < 1e-9, `${meter.bytesPerSecond} B/s`);
  meter.update({ type: 'file-done', path: 'resumed', outcome: 'downloaded' });
  assert.equal(meter.transferredBytes, 100);
});
