/** Standard deviation of the centred sum of two uniform bytes. */
const BYTE_PAIR_STD = Math.sqrt((2 * (256 * 256 - 1)) / 12);

/**
 * Fills `out` with bell-shaped (triangular) noise of the given mean and standard deviation, the
 * same for the same `seed` and `name` whatever else is generated.
 */
export function fillRandom(out: Float32Array, seed: number, name: string, std: number, mean = 0): Float32Array {
  // sfc32, seeded per tensor so that one tensor's values do not depend on generation order.
  let a = splitmix(seed >>> 0);
  let b = splitmix(a ^ fnv1a(name));
  let c = splitmix(b);
  let d = 1;
  const scale = std / BYTE_PAIR_STD;
  const n = out.length;
  // The first outputs of a freshly seeded sfc32 are poorly mixed: skip them.
  for (let i = -24; i < n; i += 2) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    if (i < 0) continue;
    // Two values a draw, each a sum of two bytes: no Math.log, and bell-shaped enough for weights.
    out[i] = mean + ((t & 255) + ((t >>> 8) & 255) - 255) * scale;
    if (i + 1 < n) out[i + 1] = mean + (((t >>> 16) & 255) + (t >>> 24) - 255) * scale;
  }
  return out;
}

function splitmix(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
