import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RegistryError } from '../../src/errors.js';
import { detectVariants } from '../../src/registry/detect-variants.js';
import { selectVariant } from '../../src/registry/select-variant.js';
import { loadRegistry } from '../../src/registry/load-registry.js';
import type { ModelEntry } from '../../src/registry/model-entry-schema.js';
import { MISTRAL_7B_TREE, PHI35_MINI_TREE, QWEN25_05B_TREE, repoFile } from './fixtures/repo-trees.js';

const qwen = detectVariants(QWEN25_05B_TREE);
const phi = detectVariants(PHI35_MINI_TREE);
const mistral = detectVariants(MISTRAL_7B_TREE);

function entryOf(entries: Map<string, ModelEntry>, name: string): ModelEntry {
  const entry = entries.get(name);
  assert.ok(entry);
  return entry;
}

describe('selectVariant without a registry entry', () => {
  it('picks q4 on cpu and fp16 on cuda for transformers.js repos', () => {
    assert.equal(selectVariant(qwen, { repo: 'org/qwen', device: 'cpu' }).name, 'q4');
    assert.equal(selectVariant(qwen, { repo: 'org/qwen', device: 'cuda' }).name, 'fp16');
  });

  it('falls back along the preference order when the favourite is absent', () => {
    const only = qwen.filter((v) => ['q4f16', 'fp32', 'int8'].includes(v.name));
    assert.equal(selectVariant(only, { repo: 'o/r', device: 'cpu' }).name, 'int8');
    assert.equal(selectVariant(only, { repo: 'o/r', device: 'cuda' }).name, 'q4f16');
  });

  it('prefers genai builds made for the device, acc-level-4 on cpu, never DirectML', () => {
    assert.equal(
      selectVariant(mistral, { repo: 'o/r', device: 'cpu' }).name,
      'mistral-7b-instruct-v0.2-cpu-int4-rtn-block-32-acc-level-4',
    );
    assert.equal(
      selectVariant(mistral, { repo: 'o/r', device: 'cuda' }).name,
      'mistral-7b-instruct-v0.2-cuda-fp16',
    );
    assert.equal(selectVariant(phi, { repo: 'o/r', device: 'cpu' }).name, 'cpu-int4-awq-block-128-acc-level-4');
    const noCuda = mistral.filter((v) => !v.modelFile.includes('/cuda/') && !v.modelFile.includes('cpu'));
    assert.equal(selectVariant(noCuda, { repo: 'o/r', device: 'cuda' }).name, 'mistralai_Mistral-7B-Instruct-v0.2');
    const withoutCpu = mistral.filter((v) => !v.modelFile.includes('cpu'));
    assert.match(selectVariant(withoutCpu, { repo: 'o/r', device: 'cpu' }).name, /cuda/);
  });

  it('accepts a detected name, in any case', () => {
    assert.equal(selectVariant(qwen, { repo: 'o/r', device: 'cpu', requested: 'FP16' }).name, 'fp16');
    assert.equal(
      selectVariant(phi, { repo: 'o/r', device: 'cpu', requested: 'gpu-int4-awq-block-128' }).modelFile,
      'gpu/gpu-int4-awq-block-128/gpu-int4-awq-block-128.onnx',
    );
  });

  it('lists the available variants when the requested one is unknown', () => {
    assert.throws(
      () => selectVariant(qwen, { repo: 'org/qwen', device: 'cpu', requested: 'q3' }),
      (error: unknown) =>
        error instanceof RegistryError &&
        error.message ===
          "Variant 'q3' is not available for org/qwen. Available: fp32, bnb4, fp16, int8, q4, q4f16, quantized, uint8. Pass --variant with one of them.",
    );
  });

  it('says so when a repo has no ONNX model', () => {
    const tree = detectVariants(['config.json', 'model.safetensors'].map((p) => repoFile(p, 1)));
    assert.throws(
      () => selectVariant(tree, { repo: 'meta-llama/Llama-3.2-1B', device: 'cpu' }),
      (error: unknown) =>
        error instanceof RegistryError &&
        error.message.startsWith('No ONNX model in meta-llama/Llama-3.2-1B: owm runs ONNX exports; try an onnx-community/'),
    );
  });
});

describe('selectVariant with a registry entry', () => {
  const entries = new Map<string, ModelEntry>();
  before(async () => {
    const registry = await loadRegistry({ userFile: null });
    for (const [name, model] of registry.models) entries.set(name, model.entry);
  });

  it("uses the entry's default for the device", () => {
    const entry = entryOf(entries, 'phi3.5-mini');
    assert.equal(selectVariant(phi, { repo: entry.repo, device: 'cpu', entry }).name, 'cpu-int4-awq-block-128-acc-level-4');
    assert.equal(selectVariant(phi, { repo: entry.repo, device: 'cuda', entry }).name, 'gpu-int4-awq-block-128');
    const qwenEntry = entryOf(entries, 'qwen2.5-0.5b');
    assert.equal(selectVariant(qwen, { repo: qwenEntry.repo, device: 'cuda', entry: qwenEntry }).name, 'fp16');
  });

  it('maps a registry variant name through its path', () => {
    const entry = entryOf(entries, 'mistral-7b');
    const chosen = selectVariant(mistral, { repo: entry.repo, device: 'cpu', entry, requested: 'int4-cuda' });
    assert.equal(chosen.name, 'mistral-7b-instruct-v0.2-cuda-int4-rtn-block-32');
    const qwenEntry = entryOf(entries, 'qwen2.5-0.5b');
    const fp32 = selectVariant(qwen, { repo: qwenEntry.repo, device: 'cpu', entry: qwenEntry, requested: 'fp32' });
    assert.equal(fp32.modelFile, 'onnx/model.onnx');
  });

  it('explains a registry path the repo does not have', () => {
    const entry = entryOf(entries, 'phi3.5-mini');
    const oldLayout = phi.filter((v) => !v.modelFile.startsWith('cpu_and_mobile/'));
    assert.throws(
      () => selectVariant(oldLayout, { repo: entry.repo, device: 'cpu', entry }),
      (error: unknown) =>
        error instanceof RegistryError &&
        error.message ===
          "Variant 'int4' of microsoft/Phi-3.5-mini-instruct-onnx points at 'cpu_and_mobile/cpu-int4-awq-block-128-acc-level-4/', " +
            'which the repo does not have. Available: int4-gpu, cuda-fp16. Pass --variant with one of them, or fix the registry entry.',
    );
  });

  it('falls back to the preference order when the entry has no default for the device', () => {
    const entry: ModelEntry = { ...entryOf(entries, 'qwen2.5-0.5b'), default_variant: undefined };
    assert.equal(selectVariant(qwen, { repo: entry.repo, device: 'cpu', entry }).name, 'q4');
  });
});
