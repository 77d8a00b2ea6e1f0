/**
 * One step of the sampler's chain before the draw: edits a row of logits in place (penalties, a
 * grammar's token mask) and returns how to put them back, or nothing when it changed nothing.
 */
export interface LogitsProcessor {
  process(logits: Float32Array, history: readonly number[]): (() => void) | undefined;
}
