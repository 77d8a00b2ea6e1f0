import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/**
 * Imports a module of owm's build (`npm run build`), typed as its source: the benchmark measures
 * what users run, and the model worker only exists as built JavaScript.
 */
export async function importDist<Module>(relativePath: string): Promise<Module> {
  return (await import(pathToFileURL(path.join(DIST, relativePath)).href)) as Module;
}
