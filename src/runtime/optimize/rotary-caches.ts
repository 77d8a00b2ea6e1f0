import type { DecoderConfig } from './types.js';

/** GroupQueryAttention's `cos_cache` and `sin_cache`, `[rows, head_dim / 2]` each. */
export interface RotaryCaches {
  cos: Float32Array;
  sin: Float32Array;
  rows: number;
}

/**
 * The rotary inverse frequencies as Hugging Face computes them in float32, with `rope_scaling`
 * (linear, llama3) applied.
 */
export function inverseFrequencies(config: DecoderConfig): Float32Array {
  const half = config.headDim / 2;
  const out = new Float32Array(half);
  const scaling = config.ropeScaling;
  for (let i = 0; i < half; i++) {
    const base = Math.fround(1 / Math.fround(config.ropeTheta ** Math.fround((2 * i) / config.headDim)));
    if (scaling.type === 'default') {
      out[i] = base;
    } else if (scaling.type === 'linear') {
      out[i] = base / scaling.factor;
    } else {
      const wavelength = (2 * Math.PI) / base;
      const lowWavelength = scaling.originalMaxPositions / scaling.lowFreqFactor;
      const highWavelength = scaling.originalMaxPositions / scaling.highFreqFactor;
      if (wavelength < highWavelength) {
        out[i] = base;
      } else if (wavelength > lowWavelength) {
        out[i] = base / scaling.factor;
      } else {
        const smooth = (scaling.originalMaxPositions / wavelength - scaling.lowFreqFactor) / (scaling.highFreqFactor - scaling.lowFreqFactor);
        out[i] = ((1 - smooth) * base) / scaling.factor + smooth * base;
      }
    }
  }
  return out;
}

/** cos and sin of `position · inv_freq` for every position below `config.maxPositions`, the angle rounded to float32 as exports compute it. */
export function rotaryCaches(config: DecoderConfig): RotaryCaches {
  const frequencies = inverseFrequencies(config);
  const half = frequencies.length;
  const rows = config.maxPositions;
  const cos = new Float32Array(rows * half);
  const sin = new Float32Array(rows * half);
  for (let position = 0; position < rows; position++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(position * frequencies[i]);
      cos[position * half + i] = Math.cos(angle);
      sin[position * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin, rows };
}
