import type { Pooling } from '../../registry/model-entry-schema.js';

/** A batch's token states as ONNX Runtime returns them: `[batch, length, hidden]`, row-major. */
export interface HiddenStates {
  data: Float32Array;
  length: number;
  hidden: number;
}

/**
 * One row's vector from its token states. Rows are padded on the right, so the row's own tokens
 * are its first `tokens` positions and padding never enters the result.
 */
export function poolHiddenStates(states: HiddenStates, row: number, tokens: number, pooling: Pooling): Float32Array {
  const { data, length, hidden } = states;
  const at = (position: number): Float32Array => data.subarray((row * length + position) * hidden, (row * length + position + 1) * hidden);
  if (pooling === 'cls') return Float32Array.from(at(0));
  if (pooling === 'last_token') return Float32Array.from(at(tokens - 1));
  const out = Float32Array.from(at(0));
  for (let position = 1; position < tokens; position++) {
    const state = at(position);
    if (pooling === 'max') for (let i = 0; i < hidden; i++) out[i] = Math.max(out[i] as number, state[i] as number);
    else for (let i = 0; i < hidden; i++) out[i] = out[i] + state[i];
  }
  if (pooling === 'mean') for (let i = 0; i < hidden; i++) out[i] = out[i] / tokens;
  return out;
}
