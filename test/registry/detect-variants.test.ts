import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectVariants, type DetectedVariant } from '../../src/registry/detect-variants.js';
import {
  MERGED_DECODER_TREE,
  MISTRAL_7B_TREE,
  PHI35_MINI_TREE,
  QWEN25_05B_TREE,
  repoFile,
} from './fixtures/repo-trees.js';

function byName(variants: DetectedVariant[], name: string): DetectedVariant {
  const found = variants.find((v) => v.name === name);
  assert.ok(found, `no variant '${name}' in ${variants.map((v) => v.name).join(', ')}`);
  return found;
}

const QWEN_SUPPORT = [
  'added_tokens.json',
  'config.json',
  'generation_config.json',
  'merges.txt',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
];

describe('detectVariants on a transformers.js tree', () => {
  const variants = detectVariants(QWEN25_05B_TREE);

  it('finds one variant per dtype, model.onnx being fp32', () => {
    assert.deepEqual(
      variants.map((v) => v.name).sort(),
      ['bnb4', 'fp16', 'fp32', 'int8', 'q4', 'q4f16', 'quantized', 'uint8'],
    );
    assert.ok(variants.every((v) => v.layout === 'transformers.js'));
    assert.equal(byName(variants, 'fp32').modelFile, 'onnx/model.onnx');
    assert.equal(byName(variants, 'q4f16').modelFile, 'onnx/model_q4f16.onnx');
  });

  it('takes the graph, its own external data and the root configs, nothing else', () => {
    assert.deepEqual(byName(variants, 'fp32').files, [
      ...QWEN_SUPPORT,
      'onnx/model.onnx',
      'onnx/model.onnx_data',
    ].sort());
    assert.deepEqual(byName(variants, 'q4').files, [...QWEN_SUPPORT, 'onnx/model_q4.onnx'].sort());
    assert.ok(!byName(variants, 'fp16').files.includes('onnx/model.onnx_data'));
    assert.ok(byName(variants, 'fp16').files.includes('onnx/model_fp16.onnx_data'));
  });

  it('adds up the bytes of every needed file', () => {
    const sizes = new Map(QWEN25_05B_TREE.map((f) => [f.path, f.size]));
    for (const variant of variants) {
      const expected = variant.files.reduce((sum, p) => sum + sizes.get(p)!, 0);
      assert.equal(variant.bytes, expected);
    }
    assert.ok(byName(variants, 'fp32').bytes > 1_975_000_000);
  });

  it('reads merged decoders, numbered data files and the .onnx.data spelling', () => {
    const merged = detectVariants(MERGED_DECODER_TREE);
    assert.deepEqual(merged.map((v) => v.name).sort(), ['fp32', 'q4']);
    assert.deepEqual(byName(merged, 'fp32').files, [
      'config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged.onnx.data',
      'onnx/decoder_model_merged.onnx.data_1',
      'tokenizer.json',
      'tokenizer.model',
      'tokenizer_config.json',
    ]);
    assert.deepEqual(
      byName(merged, 'q4').files.filter((p) => p.startsWith('onnx/')),
      [
        'onnx/decoder_model_merged_q4.onnx',
        'onnx/decoder_model_merged_q4.onnx_data',
        'onnx/decoder_model_merged_q4.onnx_data_1',
      ],
    );
  });

  it('prefers model_<dtype>.onnx over decoder_model_merged_<dtype>.onnx', () => {
    const tree = ['onnx/model_q4.onnx', 'onnx/decoder_model_merged_q4.onnx'].map((p) => repoFile(p, 10));
    assert.deepEqual(detectVariants(tree).map((v) => v.modelFile), ['onnx/model_q4.onnx']);
  });

  it('finds nothing in a repo without ONNX graphs', () => {
    const tree = ['config.json', 'model.safetensors', 'tokenizer.json'].map((p) => repoFile(p, 10));
    assert.deepEqual(detectVariants(tree), []);
  });
});

describe('detectVariants on onnxruntime-genai trees', () => {
  it('makes each folder with a genai_config.json a variant named after the folder', () => {
    const variants = detectVariants(PHI35_MINI_TREE);
    assert.deepEqual(variants.map((v) => v.name).sort(), [
      'cpu-int4-awq-block-128-acc-level-4',
      'cuda-fp16',
      'gpu-int4-awq-block-128',
    ]);
    assert.ok(variants.every((v) => v.layout === 'genai'));
    const cpu = byName(variants, 'cpu-int4-awq-block-128-acc-level-4');
    const folder = 'cpu_and_mobile/cpu-int4-awq-block-128-acc-level-4';
    assert.equal(cpu.modelFile, `${folder}/cpu-int4-awq-block-128-acc-level-4.onnx`);
    assert.equal(cpu.files.length, 10);
    assert.ok(cpu.files.every((p) => p.startsWith(`${folder}/`)));
    assert.ok(cpu.files.includes(`${folder}/cpu-int4-awq-block-128-acc-level-4.onnx.data`));
    assert.ok(cpu.files.includes(`${folder}/genai_config.json`));
    assert.ok(!cpu.files.includes('README.md'));
  });

  it('adds the root config.json only to folders that lack one', () => {
    const variants = detectVariants(MISTRAL_7B_TREE);
    const cpu = byName(variants, 'mistral-7b-instruct-v0.2-cpu-int4-rtn-block-32-acc-level-4');
    const fp16 = byName(variants, 'mistral-7b-instruct-v0.2-cuda-fp16');
    assert.ok(!cpu.files.includes('config.json'));
    assert.ok(fp16.files.includes('config.json'));
    assert.ok(fp16.bytes > 14_480_000_000);
    assert.equal(variants.length, 5);
  });

  it('skips a genai folder that holds no graph', () => {
    const tree = ['a/genai_config.json', 'a/tokenizer.json'].map((p) => repoFile(p, 10));
    assert.deepEqual(detectVariants(tree), []);
  });

  it('names variants by their folder path when two folders share a basename', () => {
    const tree = ['cpu/int4/genai_config.json', 'cpu/int4/model.onnx', 'cuda/int4/genai_config.json', 'cuda/int4/model.onnx']
      .map((p) => repoFile(p, 10));
    assert.deepEqual(detectVariants(tree).map((v) => v.name), ['cpu/int4', 'cuda/int4']);
  });
});
