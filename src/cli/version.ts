import { readFileSync } from 'node:fs';

/** owm's version, from its package.json. */
export const OWM_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
