import { LLAMA32_1B, MISTRAL_7B, QWEN25_05B, QWEN25_15B, SMOLLM2_135M, type SyntheticModelOptions } from '../test/support/synthetic-model/index.js';
import type { PeerId } from './peers/peer-target.js';

/**
 * What one model narrows in the run's plan, so that shapes of a billion weights and more, slow to
 * prefill on a small machine, keep the full run within its time. Repetitions are caps (a smaller
 * `--reps` still wins); contexts replace the run's.
 */
export interface ModelPlan {
  shortReps?: number;
  longReps?: number;
  coldReps?: number;
  chatTurnReps?: number;
  /** Contexts of the table's decode columns it runs (a subset of the run's). */
  tableContexts?: number[];
  /** Contexts of the decode-vs-context chart; `[]`: only those of the table. */
  chartContexts?: number[];
  /** Peers not run on this model, each with the reason the report gives. */
  leaveOut?: Partial<Record<PeerId, string>>;
  /** Why owm's CLI measures only its cold start on this model, when it does. */
  cliColdStartOnly?: string;
}

/** What a model's plan came to once applied to the run's settings (the peers it leaves out aside). */
export type AppliedPlan = Required<Omit<ModelPlan, 'leaveOut' | 'cliColdStartOnly'>>;

/** One benchmarked model: a synthetic export with a real architecture's shapes and random weights. */
export interface BenchModel extends Required<Omit<SyntheticModelOptions, 'tieEmbeddings' | 'headless' | 'attentionShare'>> {
  /** Short id, also the folder name and the `--only` value (`smollm2-135m-q4`). */
  id: string;
  /** What the table calls it. */
  label: string;
  /** transformers.js' `dtype` for this folder, or null where it cannot load it (genai layout). */
  transformersDtype: 'fp32' | 'q4' | null;
  /** GGUF storage that matches the ONNX weights' precision, for the llama.cpp peer. */
  ggufType: 'F32' | 'Q4_0';
  /** Its own, smaller plan; the run's plan when absent. */
  plan?: ModelPlan;
  /** See `SyntheticModelOptions.attentionShare`. @default the writer's */
  attentionShare?: number;
}

const SMOLLM2 = { arch: 'llama', shape: SMOLLM2_135M, tokenizer: 'llama', seed: 1 } as const;
const QWEN25 = { arch: 'qwen2', shape: QWEN25_05B, tokenizer: 'qwen', seed: 2 } as const;

const FLOOR_LEFT_OUT = 'left out on shapes of a billion weights and more, to keep the full run within 30 minutes';

/**
 * Shapes of 1–2 billion weights: every column once or twice, no chart-only contexts, no chat turn, no
 * floor, and owm's CLI timed only at its cold start: its warm runs (90–98 s each on 2026-12-02, as
 * \`owm bench\` repeats the 2,048-token prompt as often as the short ones) measure the engine the
 * API already measures.
 */
const BILLION_PLAN: ModelPlan = {
  shortReps: 2,
  longReps: 1,
  coldReps: 2,
  chatTurnReps: 0,
  chartContexts: [],
  leaveOut: { floor: FLOOR_LEFT_OUT },
  cliColdStartOnly: 'warm runs left out on shapes of a billion weights and more (the in-process API measures the same engine), to keep the full run within 30 minutes; cold start measured',
};

/**
 * 7B: one repetition, no decode at 2,048 (its prefill alone would take about 1.5 minutes per peer on
 * two cores), and owm measured through its API only: the CLI's runs and cold start took 146 s of the
 * 7B's 6.5 minutes on 2026-12-02, which the full run's 30 minutes do not have.
 */
const SEVEN_B_PLAN: ModelPlan = {
  shortReps: 1,
  longReps: 1,
  coldReps: 1,
  chatTurnReps: 0,
  tableContexts: [128],
  chartContexts: [],
  leaveOut: { floor: FLOOR_LEFT_OUT, 'owm-cli': 'left out on the 7B shape (owm is measured through its API), to keep the full run within 30 minutes' },
};

/** The batched-decoding line's model: Llama-3.2-1B's shapes, q4 as transformers.js publishes it (over 2 GB in fp32: external data). */
export const BATCHING_MODEL: BenchModel = {
  arch: 'llama',
  shape: LLAMA32_1B,
  tokenizer: 'llama',
  seed: 3,
  id: 'llama3.2-1b-q4',
  label: 'Llama-3.2-1B q4 (optimum)',
  style: 'optimum',
  dtype: 'q4',
  externalData: true,
  transformersDtype: 'q4',
  ggufType: 'Q4_0',
};

/**
 * The prompt-lookup line's quoting model: Llama-3.2-1B's shapes and file, but attention adds
 * nothing to the residual stream, so each next token depends on the current one only and a
 * prompt holding the model's own chain is quoted token for token. It computes everything the
 * other 1B does, so its speed is the same.
 */
export const QUOTING_MODEL: BenchModel = { ...BATCHING_MODEL, id: 'llama3.2-1b-q4-quoting', label: 'Llama-3.2-1B q4, quoting', attentionShare: 0 };

/** Every model of the full set, in table order. */
export const BENCH_MODELS: readonly BenchModel[] = [
  { ...SMOLLM2, id: 'smollm2-135m-fp32', label: 'SmolLM2-135M fp32 (optimum)', style: 'optimum', dtype: 'fp32', externalData: false, transformersDtype: 'fp32', ggufType: 'F32' },
  { ...SMOLLM2, id: 'smollm2-135m-q4', label: 'SmolLM2-135M q4 (optimum)', style: 'optimum', dtype: 'q4', externalData: false, transformersDtype: 'q4', ggufType: 'Q4_0' },
  { ...QWEN25, id: 'qwen2.5-0.5b-q4', label: 'Qwen2.5-0.5B q4 (optimum)', style: 'optimum', dtype: 'q4', externalData: true, transformersDtype: 'q4', ggufType: 'Q4_0' },
  { ...QWEN25, id: 'qwen2.5-0.5b-int4-genai', label: 'Qwen2.5-0.5B int4 (genai)', style: 'genai', dtype: 'q4', externalData: true, transformersDtype: null, ggufType: 'Q4_0' },
  // The same folder as the batching line's, with its own plan.
  { ...BATCHING_MODEL, plan: BILLION_PLAN },
  {
    arch: 'qwen2',
    shape: QWEN25_15B,
    tokenizer: 'qwen',
    seed: 4,
    id: 'qwen2.5-1.5b-q4',
    label: 'Qwen2.5-1.5B q4 (optimum)',
    style: 'optimum',
    dtype: 'q4',
    externalData: true,
    transformersDtype: 'q4',
    ggufType: 'Q4_0',
    plan: BILLION_PLAN,
  },
  {
    // Llama 3's tokenizer cut down to Mistral's 32,000 ids: the shapes are Mistral's, the vocabulary's contents are not.
    arch: 'llama',
    shape: MISTRAL_7B,
    tokenizer: 'llama',
    seed: 5,
    id: 'mistral-7b-int4-genai',
    label: 'Mistral-7B int4 (genai)',
    style: 'genai',
    dtype: 'q4',
    externalData: true,
    transformersDtype: null,
    ggufType: 'Q4_0',
    plan: SEVEN_B_PLAN,
  },
];

/** Ids of the quick set (`--quick`). */
export const QUICK_MODEL_IDS: readonly string[] = ['smollm2-135m-q4'];
