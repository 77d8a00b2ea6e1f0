import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { physicalCores } from '../src/runtime/physical-cores.js';
import { measureBatchedDecoding } from './batched-decoding.js';
import { BATCHING_MODEL } from './bench-models.js';
import { prepareModel } from './prepare-model.js';
import { batchedDecodingSection } from './report-markdown.js';

// `npm run bench:batching [-- TOKENS]`: the batched-decoding table alone (`npm run bench` includes it).
const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
process.env.OWM_HOME = path.join(BENCH_DIR, '.cache', 'owm-home');
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const tokens = Number(process.argv[2] ?? 32);
const prepared = prepareModel(BATCHING_MODEL, path.join(BENCH_DIR, '.cache', 'models'));
if (prepared.writeSeconds > 0) log(`${BATCHING_MODEL.id}: written in ${prepared.writeSeconds.toFixed(1)} s`);
const batching = await measureBatchedDecoding({ prepared, threads: physicalCores(), tokens, log });
process.stdout.write(batchedDecodingSection({ batching }).join('\n'));
