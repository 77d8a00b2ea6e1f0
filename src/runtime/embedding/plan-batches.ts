/** Bounds on one forward pass of an embedding batch. */
export interface BatchLimits {
  /** Texts per pass. */
  maxRows: number;
  /** Padded tokens per pass (rows × longest row), which bounds memory. */
  maxTokens: number;
}

/**
 * Groups texts into batches of similar length (the indices of `lengths`, shortest first), so that
 * little padding is computed and no pass goes over the limits; a text longer than `maxTokens` runs alone.
 */
export function planBatches(lengths: readonly number[], limits: BatchLimits): number[][] {
  const order = lengths.map((_, index) => index).sort((a, b) => lengths[a] - lengths[b]);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const index of order) {
    // Sorted ascending: the text being added is the longest of its batch.
    const padded = (current.length + 1) * lengths[index];
    if (current.length > 0 && (current.length === limits.maxRows || padded > limits.maxTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(index);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
