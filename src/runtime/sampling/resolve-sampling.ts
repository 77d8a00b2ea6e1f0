import type { SamplingOptions } from './sampling-options.js';
import { definedOnly } from '../../defined-only.js';
import { validateSamplingOptions } from './validate-sampling-options.js';

/**
 * The sampling settings of one request: what the user set over the model's generation_config over
 * owm's fallbacks; throws a UsageError when a value is out of range.
 */
export function resolveSampling(overrides: Partial<SamplingOptions>, modelDefaults: Partial<SamplingOptions>, fallback: SamplingOptions): SamplingOptions {
  const options: SamplingOptions = { ...fallback, ...definedOnly(modelDefaults), ...definedOnly(overrides) };
  validateSamplingOptions(options);
  return options;
}
