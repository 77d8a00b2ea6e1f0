import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RuntimeError } from '../../src/errors.js';
import { loadChatTemplate } from '../../src/runtime/load-chat-template.js';
import { QWEN3_DIR, makeTempDir, writeJsonFiles, type TempDir } from './tokenizer-fixtures.js';

describe('loadChatTemplate', () => {
  let temp: TempDir;
  let count = 0;
  before(async () => {
    temp = await makeTempDir();
  });
  after(async () => {
    await temp.dispose();
  });

  async function folder(files: Record<string, unknown>, jinja?: string): Promise<string> {
    const dir = path.join(temp.dir, String(count++));
    await mkdir(dir);
    await writeJsonFiles(dir, files);
    if (jinja !== undefined) await writeFile(path.join(dir, 'chat_template.jinja'), jinja);
    return dir;
  }

  test("reads tokenizer_config.json's chat_template", async () => {
    const template = await loadChatTemplate(QWEN3_DIR);
    assert.ok(template?.includes("'<|im_start|>assistant\\n'"));
  });

  test('returns null when the model has no template', async () => {
    assert.equal(await loadChatTemplate(await folder({ 'tokenizer_config.json': { eos_token: '</s>' } })), null);
    assert.equal(await loadChatTemplate(await folder({})), null);
  });

  test('chat_template.jinja wins over chat_template.json, which wins over tokenizer_config.json', async () => {
    const config = { 'tokenizer_config.json': { chat_template: 'from config' } };
    const json = { 'chat_template.json': { chat_template: 'from json' } };
    assert.equal(await loadChatTemplate(await folder({ ...config, ...json }, 'from jinja')), 'from jinja');
    assert.equal(await loadChatTemplate(await folder({ ...config, ...json })), 'from json');
    assert.equal(await loadChatTemplate(await folder(config)), 'from config');
  });

  test('takes the "default" of a list of named templates, ignoring tool_use', async () => {
    const chat_template = [
      { name: 'tool_use', template: 'tools' },
      { name: 'default', template: 'plain chat' },
    ];
    assert.equal(await loadChatTemplate(await folder({ 'tokenizer_config.json': { chat_template } })), 'plain chat');
  });

  test('a list without a default, or a template of the wrong type, is an error naming the file', async () => {
    const listDir = await folder({ 'tokenizer_config.json': { chat_template: [{ name: 'tool_use', template: 'x' }] } });
    await assert.rejects(loadChatTemplate(listDir), (error: unknown) => {
      return error instanceof RuntimeError && error.message.includes(path.join(listDir, 'tokenizer_config.json'));
    });
    const numberDir = await folder({ 'chat_template.json': { chat_template: 3 } });
    await assert.rejects(loadChatTemplate(numberDir), RuntimeError);
  });
});
