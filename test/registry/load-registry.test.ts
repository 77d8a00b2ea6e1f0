import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RegistryError } from '../../src/errors.js';
import { loadRegistry } from '../../src/registry/load-registry.js';
import type { Registry } from '../../src/registry/registry.js';

const REQUIRED = [
  'deepseek-r1-distill',
  'mistral-7b',
  'llama3.2-1b',
  'llama3.2-3b',
  'qwen2.5-0.5b',
  'qwen2.5-1.5b',
  'qwen3-0.6b',
  'smollm2-135m',
  'smollm2-360m',
  'smollm2-1.7b',
  'phi3.5-mini',
  'gemma3-1b',
];

const BUILTIN_FILE = path.resolve(fileURLToPath(import.meta.url), '../../../models.yaml');

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'owm-registry-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function userFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The message of the RegistryError that loading `text` as the user file throws. */
async function loadError(name: string, text: string): Promise<string> {
  const file = await userFile(name, text);
  try {
    await loadRegistry({ userFile: file });
  } catch (error) {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the user file to be rejected');
}

describe('the built-in models.yaml', () => {
  let registry: Registry;
  before(async () => {
    registry = await loadRegistry({ userFile: null });
  });

  it('is found from the package root and holds the required names', () => {
    for (const name of REQUIRED) assert.ok(registry.models.has(name), `missing ${name}`);
    assert.ok(registry.models.size >= 12);
    const qwen = registry.models.get('qwen2.5-0.5b')!;
    assert.equal(qwen.source.file, BUILTIN_FILE);
    assert.equal(qwen.source.builtin, true);
    assert.equal(registry.models.get('deepseek-r1-distill')!.entry.aliases.includes('deepseek-r1'), true);
  });

  it('gives every entry its metadata and default variants that exist for both devices', () => {
    for (const { name, entry } of registry.models.values()) {
      assert.ok(entry.description, `${name}: description`);
      assert.ok(entry.license, `${name}: license`);
      assert.ok(entry.context_length && entry.parameters, `${name}: sizes`);
      assert.equal(entry.revision, 'main');
      for (const device of ['cpu', 'cuda'] as const) {
        const variant = entry.default_variant?.[device];
        assert.ok(variant !== undefined && variant in entry.variants, `${name}: default for ${device}`);
      }
    }
  });

  it('marks Llama and Gemma licences restrictive and apache/mit ones not', () => {
    const restrictive = (name: string) => registry.models.get(name)!.entry.license!.restrictive;
    assert.equal(restrictive('llama3.2-1b'), true);
    assert.equal(restrictive('gemma3-1b'), true);
    assert.equal(restrictive('qwen2.5-0.5b'), false);
    assert.equal(restrictive('phi3.5-mini'), false);
  });

  it('uses folders for genai repos and .onnx files for transformers.js repos', () => {
    const paths = (name: string) => Object.values(registry.models.get(name)!.entry.variants).map((v) => v.path);
    assert.ok(paths('mistral-7b').every((p) => p.endsWith('/')));
    assert.ok(paths('phi3.5-mini').every((p) => p.endsWith('/')));
    assert.ok(paths('smollm2-135m').every((p) => /^onnx\/model(_\w+)?\.onnx$/.test(p)));
  });

  it('marks the embedding models, with their vector length and pooling, and only them', () => {
    const embedding = [...registry.models.values()].filter(({ entry }) => entry.embedding).map(({ name, entry }) => [name, entry.embedding?.dimensions, entry.embedding?.pooling]);
    assert.deepEqual(embedding, [
      ['all-minilm', 384, 'mean'],
      ['bge-small', 384, 'cls'],
      ['gte-small', 384, 'mean'],
      ['qwen3-embedding', 1024, 'last_token'],
    ]);
  });

  it('reads the same file when given explicitly', async () => {
    const explicit = await loadRegistry({ builtinFile: BUILTIN_FILE, userFile: null });
    assert.deepEqual([...explicit.models.keys()], [...registry.models.keys()]);
  });
});

describe('the user registry file', () => {
  it('may be missing', async () => {
    const registry = await loadRegistry({ userFile: path.join(dir, 'nope.yaml') });
    assert.ok(registry.models.has('qwen2.5-0.5b'));
  });

  it('adds new names and replaces built-in entries whole', async () => {
    const file = await userFile(
      'overlay.yaml',
      `models:
  my-model:
    repo: me/my-model-onnx
    aliases: [mine]
  qwen2.5-0.5b:
    repo: me/qwen-fork
    revision: v2
`,
    );
    const registry = await loadRegistry({ userFile: file });
    const mine = registry.models.get('my-model')!;
    assert.equal(mine.entry.repo, 'me/my-model-onnx');
    assert.deepEqual(mine.entry.variants, {});
    assert.equal(mine.entry.revision, 'main');
    assert.deepEqual(mine.source, { file, line: 2, builtin: false });
    const qwen = registry.models.get('qwen2.5-0.5b')!.entry;
    assert.equal(qwen.repo, 'me/qwen-fork');
    assert.equal(qwen.revision, 'v2');
    assert.equal(qwen.license, undefined, 'nothing of the built-in entry is kept');
    assert.deepEqual(qwen.aliases, []);
    assert.ok(registry.models.has('llama3.2-1b'));
  });

  it('may be empty', async () => {
    const registry = await loadRegistry({ userFile: await userFile('empty.yaml', '# nothing yet\n') });
    assert.ok(registry.models.has('qwen2.5-0.5b'));
  });

  it('names file, line, column, entry and field for a value of the wrong type', async () => {
    const text = `# my models
models:
  my-llama:
    repo: me/llama-onnx
    variants:
      q4:
        devices: [cpu]
        path: 14
`;
    const message = await loadError('wrong-type.yaml', text);
    assert.equal(
      message,
      `${path.join(dir, 'wrong-type.yaml')}:8:15: model 'my-llama': field 'variants.q4.path' must be a string. Fix the file or remove the entry.`,
    );
  });

  it('rejects unknown fields, suggesting the one meant', async () => {
    const message = await loadError('typo.yaml', 'models:\n  my-llama:\n    repo: me/llama\n    revison: dev\n');
    assert.equal(
      message,
      `${path.join(dir, 'typo.yaml')}:4:5: model 'my-llama': field 'revison' is not a known field (did you mean 'revision'?). Fix the file or remove the entry.`,
    );
    const nested = await loadError(
      'typo2.yaml',
      'models:\n  m:\n    repo: me/m\n    variants:\n      q4: { path: a.onnx, devices: [cpu], device: cuda }\n',
    );
    assert.match(nested, /typo2\.yaml:5:43: model 'm': field 'variants\.q4\.device' is not a known field \(did you mean 'devices'\?\)/);
  });

  it('says which field is missing, at the entry', async () => {
    const message = await loadError('missing.yaml', 'models:\n  no-repo:\n    aliases: [x]\n');
    assert.match(message, /missing\.yaml:2:3: model 'no-repo': field 'repo' is required\. Fix the file or remove the entry\.$/);
  });

  it('checks values: repo ids, devices, URLs, names, default variants', async () => {
    assert.match(
      await loadError('repo.yaml', 'models:\n  m:\n    repo: me--x/y\n'),
      /repo\.yaml:3:11: model 'm': field 'repo' must be an org\/name repo id/,
    );
    assert.match(
      await loadError('device.yaml', 'models:\n  m:\n    repo: a/b\n    variants:\n      q4: { path: a.onnx, devices: [gpu] }\n'),
      /device\.yaml:5:37: model 'm': field 'variants\.q4\.devices\.0' must be one of cpu, cuda/,
    );
    assert.match(
      await loadError(
        'url.yaml',
        'models:\n  m:\n    repo: a/b\n    license: { id: x, name: X, url: see readme, restrictive: true }\n',
      ),
      /url\.yaml:4:37: model 'm': field 'license\.url' must be a URL\./,
    );
    assert.match(
      await loadError('name.yaml', 'models:\n  My_Model:\n    repo: a/b\n'),
      /name\.yaml:2:3: model 'My_Model': the name must be lowercase/,
    );
    assert.match(
      await loadError(
        'default.yaml',
        'models:\n  m:\n    repo: a/b\n    variants:\n      q4: { path: a.onnx, devices: [cpu] }\n    default_variant: { cpu: q8 }\n',
      ),
      /default\.yaml:6:29: model 'm': field 'default_variant\.cpu' names variant 'q8', which is not one of q4\./,
    );
    assert.match(
      await loadError('path.yaml', 'models:\n  m:\n    repo: a/b\n    variants:\n      q4: { path: weights.bin, devices: [cpu] }\n'),
      /path\.yaml:5:19: model 'm': field 'variants\.q4\.path' must name an \.onnx file or a folder ending in '\/'/,
    );
  });

  it('names file and line for YAML syntax errors', async () => {
    const message = await loadError('syntax.yaml', 'models:\n  m:\n    repo: a/b\n    aliases: [x\n');
    assert.match(message, new RegExp(`^${path.join(dir, 'syntax.yaml').replace(/[.\\/]/g, '\\$&')}:\\d+:\\d+: invalid YAML: .+\\. Fix the file\\.$`));
    const duplicate = await loadError('dup.yaml', 'models:\n  m:\n    repo: a/b\n  m:\n    repo: a/c\n');
    assert.match(duplicate, /dup\.yaml:4:3: invalid YAML: Map keys must be unique/);
  });

  it('refuses aliases that clash with another entry, naming both', async () => {
    const clash = await loadError('clash.yaml', 'models:\n  mine:\n    repo: a/b\n    aliases: [deepseek-r1]\n');
    assert.equal(
      clash,
      `${path.join(dir, 'clash.yaml')}:2: model 'mine': alias 'deepseek-r1' is already an alias of model 'deepseek-r1-distill' (${BUILTIN_FILE}:${await builtinLine('deepseek-r1-distill')}). Rename one of them.`,
    );
    const nameClash = await loadError('clash2.yaml', 'models:\n  phi3.5:\n    repo: a/b\n');
    assert.match(nameClash, /model 'phi3\.5': name 'phi3\.5' is already an alias of model 'phi3\.5-mini'/);
    const aliasIsName = await loadError('clash3.yaml', 'models:\n  mine:\n    repo: a/b\n    aliases: [gemma3-1b]\n');
    assert.match(aliasIsName, /model 'mine': alias 'gemma3-1b' is already the name of model 'gemma3-1b'/);
  });

  it('frees the aliases of a built-in entry it replaces', async () => {
    const file = await userFile(
      'reuse.yaml',
      'models:\n  deepseek-r1-distill:\n    repo: a/b\n  mine:\n    repo: a/c\n    aliases: [deepseek-r1]\n',
    );
    const registry = await loadRegistry({ userFile: file });
    assert.deepEqual(registry.models.get('mine')!.entry.aliases, ['deepseek-r1']);
  });
});

async function builtinLine(name: string): Promise<number> {
  const registry = await loadRegistry({ userFile: null });
  return registry.models.get(name)!.source.line;
}
