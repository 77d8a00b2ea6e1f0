/** Scales `vector` in place to Euclidean length 1 (a zero vector stays zero), as sentence-transformers' Normalize does. */
export function normalizeVector(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i] / norm;
  return vector;
}
