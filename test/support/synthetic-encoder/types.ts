import type { Pooling } from '../../../src/registry/model-entry-schema.js';

/** Sizes of a BERT-style encoder; `hidden` must split into `heads`. */
export interface EncoderShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
}

/** What the graph builder needs. */
export interface EncoderConfig extends EncoderShape {
  vocab: number;
  /** Whether the graph takes `token_type_ids` (BERT does; some exports drop it). */
  tokenTypeIds: boolean;
}

/** sentence-transformers files to write beside the graph; `undefined` writes none (as transformers.js copies ship). */
export interface SentenceTransformersFiles {
  pooling: Pooling;
  normalize: boolean;
}

/** What `writeSyntheticEncoder` writes. */
export interface SyntheticEncoderOptions {
  shape: EncoderShape;
  seed: number;
  /** @default true */
  tokenTypeIds?: boolean;
  sentenceTransformers?: SentenceTransformersFiles;
}
