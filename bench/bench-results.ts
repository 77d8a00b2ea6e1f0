import type { EmbeddingSpeed } from './embeddings/embeddings-markdown.js';
import type { SyntheticModelConfig } from '../test/support/synthetic-model/index.js';
import type { AppliedPlan } from './bench-models.js';
import type { BenchSettings } from './bench-settings.js';
import type { DownloadThroughput } from './download-throughput.js';
import type { MachineInfo } from './machine-info.js';
import type { MemoryBandwidth } from './memory-bandwidth.js';
import type { PeerReport } from './peers/peer-target.js';
import type { ServeLoad } from './serve-load.js';
import type { ConstrainedDecoding } from './constrained-decoding.js';
import type { BatchedDecoding } from './batched-decoding.js';
import type { WeightTraffic } from './roofline.js';

/** Everything measured on one model. */
export interface ModelResult {
  id: string;
  label: string;
  config: SyntheticModelConfig;
  /** The graph owm loaded (an optimized copy where owm made one), relative to the repository: the floor runs it, the roofline counts it. */
  graph: string;
  /** What owm's load-time optimizer did, as owm describes it. */
  optimization?: string;
  weights: WeightTraffic;
  kvBytesPerContextToken: number;
  peers: PeerReport[];
  /** What the model's own, smaller plan came to, when it has one (peers it leaves out carry the reason). */
  plan?: AppliedPlan;
}

/** A model of the set that was not measured, and why. */
export interface UnmeasuredModel {
  id: string;
  label: string;
  reason: string;
}

/** The JSON a run writes: every number, and what it was measured on. */
export interface BenchResults {
  set: 'quick' | 'full';
  startedAt: string;
  wallSeconds: number;
  machine: MachineInfo;
  settings: Omit<BenchSettings, 'models'> & { models: string[] };
  memoryBandwidth?: MemoryBandwidth;
  memoryBandwidthError?: string;
  models: ModelResult[];
  unmeasuredModels?: UnmeasuredModel[];
  download?: DownloadThroughput;
  downloadError?: string;
  serveLoad?: ServeLoad;
  serveLoadError?: string;
  constrained?: ConstrainedDecoding;
  constrainedError?: string;
  /** Concurrent streams decoded in batches against one step of each in turn. */
  batching?: BatchedDecoding;
  batchingError?: string;
  /** Embedding texts per second, owm against transformers.js. */
  embeddings?: EmbeddingSpeed[];
  embeddingsError?: string;
}
