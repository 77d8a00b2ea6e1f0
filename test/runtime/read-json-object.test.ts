import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { RuntimeError } from '../../src/errors.js';
import { isJsonObject, readJsonObject } from '../../src/runtime/read-json-object.js';
import { makeTempDir } from './tokenizer-fixtures.js';

test('readJsonObject: an object, undefined when absent, an error naming a bad file', async () => {
  const temp = await makeTempDir();
  try {
    const good = path.join(temp.dir, 'config.json');
    await writeFile(good, '{"a": [1, 2]}');
    assert.deepEqual(await readJsonObject(good), { a: [1, 2] });
    assert.equal(await readJsonObject(path.join(temp.dir, 'missing.json')), undefined);
    for (const [name, text] of [
      ['truncated.json', '{"a": '],
      ['array.json', '[1, 2]'],
    ]) {
      const file = path.join(temp.dir, name as string);
      await writeFile(file, text as string);
      await assert.rejects(readJsonObject(file), (error: unknown) => {
        return error instanceof RuntimeError && error.message.includes(file) && !error.message.includes('\n');
      });
    }
    await assert.rejects(readJsonObject(temp.dir), RuntimeError);
  } finally {
    await temp.dispose();
  }
});

test('isJsonObject: objects only', () => {
  assert.equal(isJsonObject({}), true);
  assert.equal(isJsonObject([]), false);
  assert.equal(isJsonObject(null), false);
  assert.equal(isJsonObject('x'), false);
});
