import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { physicalCores } from '../../src/runtime/physical-cores.js';
import { embeddingsMarkdown } from './embeddings-markdown.js';
import { measureEmbeddings } from './measure-embeddings.js';

/** `npm run bench:embeddings`: the embeddings table alone (`npm run bench` includes it). */
const cacheDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'models');
const threads = physicalCores();
const speeds = await measureEmbeddings(cacheDir, { batches: [1, 8, 64], reps: 15, threads }, (line) => void process.stderr.write(`[bench] ${line}\n`));
process.stdout.write(embeddingsMarkdown(speeds, threads));
