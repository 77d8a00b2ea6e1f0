import { createHash } from 'node:crypto';
import type { FakeRepoSpec } from './fake-hub.js';

/** Deterministic pseudo-random bytes, so every run serves the same repos. */
export function seededBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

const ROOT_FILES = (repo: string): Record<string, string> => ({
  'config.json': JSON.stringify({ model_type: 'llama', num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 2048, vocab_size: 256 }),
  'generation_config.json': JSON.stringify({ eos_token_id: [2] }),
  'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] }, repo }),
  'tokenizer_config.json': JSON.stringify({ chat_template: '{{ messages }}', eos_token: '</s>' }),
  'special_tokens_map.json': JSON.stringify({ eos_token: '</s>' }),
  'README.md': `# ${repo}\n`,
  '.gitattributes': '*.onnx filter=lfs diff=lfs merge=lfs -text\n',
});

/**
 * A repo laid out like transformers.js exports (onnx/model_<dtype>.onnx + external data) with
 * random bytes for weights: enough to test downloading, not to run.
 */
export function transformersJsRepo(id: string, options: { dataBytes?: number } = {}): FakeRepoSpec {
  const dataBytes = options.dataBytes ?? 2_000_000;
  return {
    id,
    license: 'apache-2.0',
    files: {
      ...ROOT_FILES(id),
      'onnx/model.onnx': seededBytes(40_000, `${id}/fp32`),
      'onnx/model.onnx_data': seededBytes(dataBytes * 2, `${id}/fp32-data`),
      'onnx/model_fp16.onnx': seededBytes(30_000, `${id}/fp16`),
      'onnx/model_q4.onnx': seededBytes(20_000, `${id}/q4`),
      'onnx/model_q4.onnx_data': seededBytes(dataBytes, `${id}/q4-data`),
      'onnx/model_q4f16.onnx': seededBytes(15_000, `${id}/q4f16`),
    },
  };
}

/** A repo laid out like onnxruntime-genai builds: one folder per variant with genai_config.json. */
export function genaiRepo(id: string): FakeRepoSpec {
  const folder = (name: string): Record<string, string | Buffer> => ({
    [`${name}/genai_config.json`]: JSON.stringify({ model: { type: 'phi3', context_length: 4096 } }),
    [`${name}/model.onnx`]: seededBytes(25_000, `${id}/${name}`),
    [`${name}/model.onnx.data`]: seededBytes(1_500_000, `${id}/${name}/data`),
    [`${name}/tokenizer.json`]: JSON.stringify({ version: '1.0', folder: name }),
    [`${name}/tokenizer_config.json`]: JSON.stringify({ eos_token: '<|end|>' }),
  });
  return {
    id,
    license: 'mit',
    files: {
      'README.md': `# ${id}\n`,
      ...folder('cpu_and_mobile/cpu-int4-rtn-block-32-acc-level-4'),
      ...folder('cuda/cuda-fp16'),
    },
  };
}
