import { existsSync } from 'node:fs';
import path from 'node:path';
import { notOptimizable } from './not-optimizable.js';
import type { DecoderConfig, RopeScaling } from './types.js';

const MODEL_TYPES = new Set(['llama', 'qwen2', 'mistral']);

/**
 * Where the model's config lies for a graph at `modelPath`: `config.json` beside it (genai layout)
 * or one folder up (`onnx/`), else an onnxruntime-genai folder's `genai_config.json`.
 */
export function findConfigPath(modelPath: string): string {
  const dir = path.dirname(modelPath);
  const candidates = [path.join(dir, 'config.json'), path.join(path.dirname(dir), 'config.json'), path.join(dir, 'genai_config.json')];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw notOptimizable('no config.json beside the graph or one folder up, and no genai_config.json');
  return found;
}

/**
 * Reads the decoder's sizes and rotary settings from `config.json` text, refusing architectures
 * whose layers differ from the llama pattern the fused graph rebuilds (q/k norms, sliding windows,
 * partial rotary, other activations).
 */
export function readDecoderConfig(text: string): DecoderConfig {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw notOptimizable('config.json is not valid JSON');
  }
  const modelType = String(json.model_type);
  if (!MODEL_TYPES.has(modelType)) throw notOptimizable(`architecture ${modelType} is not one the optimizer rebuilds (llama, qwen2, mistral)`);
  const activation = json.hidden_act ?? 'silu';
  if (activation !== 'silu') throw notOptimizable(`activation ${String(activation)} (only silu)`);
  if (json.partial_rotary_factor !== undefined && json.partial_rotary_factor !== 1) throw notOptimizable('partial rotary embeddings');
  if (modelType === 'qwen2' && json.use_sliding_window === true) throw notOptimizable('sliding-window attention');
  if (modelType === 'mistral' && typeof json.sliding_window === 'number' && json.sliding_window < number(json, 'max_position_embeddings')) {
    throw notOptimizable('sliding-window attention');
  }
  const hidden = number(json, 'hidden_size');
  const heads = number(json, 'num_attention_heads');
  const ropeParameters = (json.rope_parameters ?? null) as Record<string, unknown> | null;
  return {
    modelType: modelType as DecoderConfig['modelType'],
    layers: number(json, 'num_hidden_layers'),
    hidden,
    heads,
    kvHeads: typeof json.num_key_value_heads === 'number' ? json.num_key_value_heads : heads,
    headDim: typeof json.head_dim === 'number' ? json.head_dim : hidden / heads,
    rmsNormEps: number(json, 'rms_norm_eps'),
    maxPositions: number(json, 'max_position_embeddings'),
    ropeTheta: typeof json.rope_theta === 'number' ? json.rope_theta : number(ropeParameters ?? {}, 'rope_theta'),
    ropeScaling: ropeScaling((json.rope_scaling ?? ropeParameters) as Record<string, unknown> | null),
  };
}

function ropeScaling(scaling: Record<string, unknown> | null): RopeScaling {
  if (scaling === null) return { type: 'default' };
  const type = scaling.rope_type ?? scaling.type ?? 'default';
  if (type === 'default') return { type };
  if (type === 'linear') return { type, factor: number(scaling, 'factor') };
  if (type === 'llama3') {
    return {
      type,
      factor: number(scaling, 'factor'),
      lowFreqFactor: number(scaling, 'low_freq_factor'),
      highFreqFactor: number(scaling, 'high_freq_factor'),
      originalMaxPositions: number(scaling, 'original_max_position_embeddings'),
    };
  }
  throw notOptimizable(`rope scaling ${String(type)} (supported: default, linear, llama3)`);
}

function number(json: Record<string, unknown>, key: string): number {
  const value = json[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw notOptimizable(`config.json has no usable ${key}`);
  return value;
}
