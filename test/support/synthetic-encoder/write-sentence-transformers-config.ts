import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SentenceTransformersFiles } from './types.js';

const FLAGS = { cls: 'pooling_mode_cls_token', mean: 'pooling_mode_mean_tokens', max: 'pooling_mode_max_tokens', last_token: 'pooling_mode_lasttoken' } as const;

/** Writes `modules.json`, `1_Pooling/config.json` and (when normalizing) `2_Normalize/`, as sentence-transformers saves a model. */
export function writeSentenceTransformersConfig(dir: string, files: SentenceTransformersFiles, dimensions: number): void {
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ...(files.normalize ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
  ];
  writeFileSync(join(dir, 'modules.json'), JSON.stringify(modules, null, 2));
  mkdirSync(join(dir, '1_Pooling'), { recursive: true });
  const pooling: Record<string, unknown> = { word_embedding_dimension: dimensions, pooling_mode_mean_sqrt_len_tokens: false, pooling_mode_weightedmean_tokens: false, include_prompt: true };
  for (const [mode, flag] of Object.entries(FLAGS)) pooling[flag] = mode === files.pooling;
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify(pooling, null, 2));
  if (files.normalize) mkdirSync(join(dir, '2_Normalize'), { recursive: true });
}
