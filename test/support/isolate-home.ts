import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Loaded before every test file (`npm test` passes it with --import): the home folder, the XDG
// folders, the Hugging Face cache and owm's own folders all point into a temporary folder, so no
// test, and no owm a test starts, reads or writes the user's real caches or configuration.
const root = mkdtempSync(path.join(os.tmpdir(), 'owm-test-home-'));
Object.assign(process.env, {
  HOME: root,
  XDG_CACHE_HOME: path.join(root, '.cache'),
  XDG_CONFIG_HOME: path.join(root, '.config'),
  XDG_STATE_HOME: path.join(root, '.local', 'state'),
  HF_HOME: path.join(root, 'hf'),
  OWM_HOME: path.join(root, 'owm'),
});
delete process.env.HF_HUB_CACHE;
delete process.env.OWM_CACHE;
delete process.env.HF_TOKEN;
delete process.env.HUGGING_FACE_HUB_TOKEN;
delete process.env.HF_TOKEN_PATH;
delete process.env.OWM_HOST;
delete process.env.OWM_API_KEY;
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
