import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RegistryError, UsageError } from '../../src/errors.js';
import { loadRegistry } from '../../src/registry/load-registry.js';
import type { Registry } from '../../src/registry/registry.js';
import { resolveModel } from '../../src/registry/resolve-model.js';

let registry: Registry;
before(async () => {
  registry = await loadRegistry({ userFile: null });
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected an error');
}

describe('resolveModel', () => {
  it('resolves a short name to its entry', () => {
    const ref = resolveModel(registry, 'qwen2.5-0.5b');
    assert.equal(ref.name, 'qwen2.5-0.5b');
    assert.equal(ref.repo, 'onnx-community/Qwen2.5-0.5B-Instruct');
    assert.equal(ref.revision, 'main');
    assert.equal(ref.variant, undefined);
    assert.equal(ref.entry?.license?.id, 'apache-2.0');
  });

  it('resolves aliases and ignores case', () => {
    assert.equal(resolveModel(registry, 'deepseek-r1').name, 'deepseek-r1-distill');
    assert.equal(resolveModel(registry, 'DeepSeek-R1').repo, 'onnx-community/DeepSeek-R1-Distill-Qwen-1.5B-ONNX');
    assert.equal(resolveModel(registry, '  Llama3.2-1B ').name, 'llama3.2-1b');
  });

  it('reads :variant and @revision suffixes, in either order', () => {
    assert.equal(resolveModel(registry, 'qwen2.5-0.5b:q4').variant, 'q4');
    const both = resolveModel(registry, 'qwen2.5-0.5b:q4f16@v1.0');
    assert.deepEqual([both.variant, both.revision], ['q4f16', 'v1.0']);
    const swapped = resolveModel(registry, 'org/model@refs/pr/3:int8');
    assert.deepEqual([swapped.repo, swapped.revision, swapped.variant], ['org/model', 'refs/pr/3', 'int8']);
  });

  it('takes variant and revision from options, and refuses two different ones', () => {
    const ref = resolveModel(registry, 'smollm2-135m', { variant: 'fp16', revision: 'abc' });
    assert.deepEqual([ref.variant, ref.revision], ['fp16', 'abc']);
    assert.equal(resolveModel(registry, 'smollm2-135m:q4', { variant: 'q4' }).variant, 'q4');
    assert.throws(() => resolveModel(registry, 'smollm2-135m:q4', { variant: 'fp16' }), UsageError);
  });

  it('passes a raw org/name through with the main revision', () => {
    const ref = resolveModel(registry, 'someone/Some-Model_v1.5-ONNX');
    assert.deepEqual(ref, { repo: 'someone/Some-Model_v1.5-ONNX', revision: 'main', variant: undefined });
  });

  it("attaches the entry when a raw repo id is a registry entry's repo", () => {
    const ref = resolveModel(registry, 'ONNX-Community/qwen2.5-0.5b-instruct@dev');
    assert.equal(ref.name, 'qwen2.5-0.5b');
    assert.equal(ref.repo, 'onnx-community/Qwen2.5-0.5B-Instruct');
    assert.equal(ref.revision, 'dev');
    assert.ok(ref.entry);
  });

  it('rejects repo ids the Hub would reject', () => {
    for (const bad of ['a/b/c', 'org//name', 'org/na--me', 'org/na..me', '-org/name', 'org/name.', 'org/na me', '/name']) {
      assert.throws(() => resolveModel(registry, bad), UsageError, bad);
    }
    assert.match(messageOf(() => resolveModel(registry, 'org/na--me')), /^'org\/na--me' is not a valid Hub repo id: use org\/name/);
  });

  it('suggests the nearest names for an unknown one', () => {
    const message = messageOf(() => resolveModel(registry, 'qwen25'));
    assert.match(
      message,
      /^Model 'qwen25' is not in the registry\. Did you mean 'qwen2\.5-0\.5b', 'qwen2\.5-1\.5b'(, '[^']+')?\? Run `owm list --available`, or pass an org\/name repo id\.$/,
    );
    assert.match(messageOf(() => resolveModel(registry, 'lama3.2-1b')), /Did you mean 'llama3\.2-1b'/);
    assert.match(messageOf(() => resolveModel(registry, 'mistrall')), /Did you mean 'mistral'\?/);
    assert.match(messageOf(() => resolveModel(registry, 'phi')), /Did you mean 'phi3\.5', 'phi4-mini'\?/);
    assert.match(messageOf(() => resolveModel(registry, 'deepsek')), /Did you mean 'deepseek-r1'\?/);
  });

  it('offers at most three suggestions and none when nothing is close', () => {
    const suggestions = messageOf(() => resolveModel(registry, 'smol')).match(/'[^']+'/g) ?? [];
    assert.equal(suggestions.length, 1 + 3);
    assert.equal(
      messageOf(() => resolveModel(registry, 'zzzzzz')),
      "Model 'zzzzzz' is not in the registry. Run `owm list --available`, or pass an org/name repo id.",
    );
    assert.throws(() => resolveModel(registry, 'zzzzzz'), RegistryError);
  });

  it('rejects empty input and empty suffixes', () => {
    assert.throws(() => resolveModel(registry, '  '), UsageError);
    assert.throws(() => resolveModel(registry, 'qwen2.5-0.5b:'), UsageError);
    assert.throws(() => resolveModel(registry, 'org/name@'), UsageError);
  });
});
