/** Returns a named weight, or throws naming the one missing. */
export function requireWeight(weights: Map<string, Float32Array>, name: string): Float32Array {
  const value = weights.get(name);
  if (!value) throw new Error(`Synthetic model: no weight named ${name}.`);
  return value;
}
