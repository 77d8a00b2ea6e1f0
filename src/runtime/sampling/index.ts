export { createSampler, type Sampler } from './create-sampler.js';
export type { LogitsProcessor } from './logits-processor.js';
export { createPenalties } from './penalties.js';
export { resolveSampling } from './resolve-sampling.js';
export { FALLBACK_SAMPLING, isGreedy, type SamplingOptions } from './sampling-options.js';
export { tokenLogprobs, type TokenLogprob } from './token-logprobs.js';
export { validateSamplingOptions } from './validate-sampling-options.js';
