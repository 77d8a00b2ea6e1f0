// Plain JavaScript: it also runs in worker threads (which inherit --import) before any TypeScript loader is ready.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Loaded before every test file (`npm test` passes it with --import): the home folder, the XDG
// folders, the Hugging Face cache and owm's own folders all point into a temporary folder, so no
// test, and no owm a test starts, reads or writes the user's real caches or configuration.
// Threads and processes started from an isolated one inherit its folders as they are.
if (!process.env.OWM_TEST_HOME) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'owm-test-home-'));
  Object.assign(process.env, {
    OWM_TEST_HOME: root,
    HOME: root,
    XDG_CACHE_HOME: path.join(root, '.cache'),
    XDG_CONFIG_HOME: path.join(root, '.config'),
    XDG_STATE_HOME: path.join(root, '.local', 'state'),
    HF_HOME: path.join(root, 'hf'),
    OWM_HOME: path.join(root, 'owm'),
  });
  for (const name of ['HF_HUB_CACHE', 'OWM_CACHE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'OWM_HOST', 'OWM_API_KEY']) delete process.env[name];
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
}
