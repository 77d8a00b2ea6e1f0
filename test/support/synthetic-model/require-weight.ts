import type { WeightLookup } from './types.js';

/** Returns a named weight, or throws naming the one missing. */
export function requireWeight(weights: WeightLookup, name: string): Float32Array {
  const value = weights.get(name);
  if (!value) throw new Error(`Synthetic model: no weight named ${name}.`);
  return value;
}
