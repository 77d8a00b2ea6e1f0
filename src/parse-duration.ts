import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as Ollama's keep-alive takes it: `30s`, `5m`, `1h30m`, a bare number of
 * seconds, `0` (at once), or a negative value or `forever` (never); returns milliseconds.
 */
export function parseDuration(raw: string): number {
  const text = raw.trim().toLowerCase();
  if (text === 'forever' || text === 'never' || /^-\d+(\.\d+)?[a-z]*$/.test(text)) return Number.POSITIVE_INFINITY;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new UsageError(`'${raw}' is not a duration: use e.g. 30s, 5m, 1h, 0 (at once) or -1 (never).`);
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (UNIT_MS[part[2] as string] as number), 0);
}
