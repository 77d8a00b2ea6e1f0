export type { EncoderConfig, EncoderShape, SentenceTransformersFiles, SyntheticEncoderOptions } from './types.js';
export { writeSentenceTransformersConfig } from './write-sentence-transformers-config.js';
export { writeSyntheticEncoder, type SyntheticEncoder } from './write-synthetic-encoder.js';
