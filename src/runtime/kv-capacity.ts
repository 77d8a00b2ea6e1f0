const MIN_STEP = 128;

/**
 * The rows to allocate for a KV cache that must hold `rows`. owm's attention reads (masked) every
 * row of the buffer, so capacity beyond the sequence costs time at each step, while growing costs
 * one copy of the cache: rows are rounded up to a step of 128, or a sixteenth of the largest power
 * of two in `rows` when that is more, so the unused rows stay within about 6% of long caches and
 * a cache grows about every 6% of its length.
 */
export function kvCapacity(rows: number): number {
  if (rows <= 0) return 0;
  const step = Math.max(MIN_STEP, 2 ** Math.floor(Math.log2(rows)) / 16);
  return Math.ceil(rows / step) * step;
}
