import { createPenalties } from './penalties.js';
import type { LogitsProcessor } from './logits-processor.js';
import { isGreedy, type SamplingOptions } from './sampling-options.js';
import { validateSamplingOptions } from './validate-sampling-options.js';

/** Picks the next token id. */
export interface Sampler {
  /**
   * Picks a token from one row of logits (one value per vocabulary entry), given the ids seen so
   * far (prompt and generated). `logits` is left as it was.
   */
  sample(logits: Float32Array, history: readonly number[]): number;
}

/** exp(-40) ≈ 4e-18: tokens this far below the best weigh nothing next to it, even 150k of them. */
const NEGLIGIBLE_DISTANCE = 40;
/**
 * exp(-d) for d in [0, NEGLIGIBLE_DISTANCE), tabulated 1024 steps per unit and interpolated: relative
 * error 1.2e-7, below what float32 rounding of the logits already causes, and several times
 * cheaper than Math.exp over a 150k vocabulary.
 */
const EXP_STEPS_PER_UNIT = 1024;
const EXP_TABLE = Float64Array.from({ length: NEGLIGIBLE_DISTANCE * EXP_STEPS_PER_UNIT + 2 }, (_, i) =>
  Math.exp(-i / EXP_STEPS_PER_UNIT),
);
/** Histogram bins: 16 per unit of temperature-scaled logit distance, i.e. 64 table steps each. */
const BIN_SHIFT = 6;
const BIN_COUNT = (NEGLIGIBLE_DISTANCE * EXP_STEPS_PER_UNIT) >> BIN_SHIFT;

/**
 * Creates a sampler; throws a UsageError for options out of range.
 *
 * A chain, in the order of transformers' logits processors (which tuned the defaults models ship
 * in generation_config.json): the processors edit the logits in place (the penalties first, then
 * any the caller adds, such as a grammar's token mask), then temperature, top-k, top-p and min-p
 * choose the candidates and one is drawn; the logits are put back as they were. Nothing sorts
 * the vocabulary: top-k keeps a bounded heap; top-p without top-k is exact over the whole
 * vocabulary, using a histogram of probability mass by distance from the best logit to find the
 * bin where the nucleus ends, then sorting only that bin's weights.
 */
export function createSampler(options: SamplingOptions, processors: readonly LogitsProcessor[] = []): Sampler {
  validateSamplingOptions(options);
  return new LogitsSampler(options, [createPenalties(options), ...processors]);
}

class LogitsSampler implements Sampler {
  private readonly options: SamplingOptions;
  private readonly random: () => number;
  /** Candidate ids and their weights exp((logit - best) / temperature), reused across calls. */
  private ids = new Int32Array(0);
  private weights = new Float64Array(0);
  /** The top-k heap's logits. */
  private heapValues = new Float32Array(0);
  /** The top-p histogram (four interleaved copies) and room to sort one bin's weights. */
  private readonly bins = new Float64Array(BIN_COUNT * 4);
  private scratch = new Float64Array(0);

  constructor(
    options: SamplingOptions,
    private readonly processors: readonly LogitsProcessor[],
  ) {
    this.options = options;
    this.random = mulberry32(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  sample(logits: Float32Array, history: readonly number[]): number {
    const undo: Array<() => void> = [];
    try {
      for (const processor of this.processors) {
        const restore = processor.process(logits, history);
        if (restore) undo.push(restore);
      }
      return this.pick(logits);
    } finally {
      for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
    }
  }

  private pick(logits: Float32Array): number {
    const { topK } = this.options;
    if (isGreedy(this.options)) return argmax(logits);
    const count = topK > 0 && topK < logits.length ? this.topKCandidates(logits, topK) : this.vocabularyCandidates(logits);
    // No candidate: the logits were NaN or infinite (a broken model); argmax still answers.
    return count > 0 ? this.draw(count) : argmax(logits);
  }

  /** The k best tokens, sorted best first, their weights relative to the best; returns k. */
  private topKCandidates(logits: Float32Array, k: number): number {
    this.reserve(k);
    if (this.heapValues.length < k) this.heapValues = new Float32Array(k);
    const { ids: heapIds, heapValues } = this;
    let size = 0;
    for (let id = 0; id < logits.length; id++) {
      const value = logits[id] as number;
      if (size < k) {
        siftUp(heapValues, heapIds, size++, value, id);
      } else if (value > (heapValues[0] as number)) {
        siftDown(heapValues, heapIds, k, value, id);
      }
    }
    // Popping the min-heap fills the arrays from the back: best first.
    for (let end = k - 1; end > 0; end--) {
      const [value, id] = [heapValues[end] as number, heapIds[end] as number];
      heapValues[end] = heapValues[0] as number;
      heapIds[end] = heapIds[0] as number;
      siftDown(heapValues, heapIds, end, value, id);
    }
    const best = heapValues[0] as number;
    let total = 0;
    for (let i = 0; i < k; i++) {
      const weight = expOfMinus((best - (heapValues[i] as number)) / this.options.temperature);
      this.weights[i] = weight;
      total += weight;
    }
    return this.truncateSorted(k, total);
  }

  /**
   * Without top-k: every token within min-p of the best (or not negligible), cut to the top-p
   * nucleus. The nucleus is exact: a histogram of probability mass by distance from the best
   * finds the bin where it ends; only that bin's weights are sorted, to find the last one in.
   */
  private vocabularyCandidates(logits: Float32Array): number {
    const { temperature, topP, minP } = this.options;
    this.reserve(logits.length);
    const best = max(logits);
    const scale = 1 / temperature;
    const keepWithin = minP > 0 ? Math.min(-Math.log(minP), NEGLIGIBLE_DISTANCE) : NEGLIGIBLE_DISTANCE;
    const nucleus = topP < 1;
    const { ids, weights, bins } = this;
    if (nucleus) bins.fill(0);
    let total = 0;
    let count = 0;
    // The hot loop: expOfMinus and binOfDistance are written out, which V8 runs about twice as fast.
    for (let id = 0; id < logits.length; id++) {
      const distance = (best - (logits[id] as number)) * scale;
      if (!(distance < NEGLIGIBLE_DISTANCE)) continue;
      const position = distance * EXP_STEPS_PER_UNIT;
      const step = Math.trunc(position);
      const low = EXP_TABLE[step] as number;
      const weight = low + ((EXP_TABLE[step + 1] as number) - low) * (position - step);
      if (nucleus) {
        total += weight;
        // Four interleaved copies of the histogram: neighbours that share a bin would otherwise
        // chain their additions through memory.
        bins[((step >> BIN_SHIFT) << 2) | (id & 3)] += weight;
      }
      if (distance <= keepWithin) {
        ids[count] = id;
        weights[count++] = weight;
      }
    }
    return nucleus ? this.cutToNucleus(logits, best, count, total) : count;
  }

  /** Keeps the heaviest candidates whose weights sum to top-p of `total`, using the histogram. */
  private cutToNucleus(logits: Float32Array, best: number, count: number, total: number): number {
    const { ids, weights, bins, scratch } = this;
    const target = this.options.topP * total;
    let boundary = 0;
    let above = 0;
    for (; boundary < BIN_COUNT - 1; boundary++) {
      const at = boundary << 2;
      const mass = (bins[at] as number) + (bins[at + 1] as number) + (bins[at + 2] as number) + (bins[at + 3] as number);
      if (above + mass >= target) break;
      above += mass;
    }
    // Keep the bins above the boundary and gather the boundary bin. A weight tells its bin, but
    // for one equal to a table value bounding the boundary bin, where the distance must decide.
    const upper = EXP_TABLE[boundary << BIN_SHIFT] as number;
    const lower = EXP_TABLE[(boundary + 1) << BIN_SHIFT] as number;
    const scale = 1 / this.options.temperature;
    let kept = 0;
    let inBoundary = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      const weight = weights[i] as number;
      if (weight < lower) continue;
      const bin = weight > upper ? boundary - 1 : binOfDistance((best - (logits[id] as number)) * scale);
      if (bin > boundary) continue;
      ids[kept] = id;
      weights[kept++] = weight;
      if (bin === boundary) scratch[inBoundary++] = weight;
    }
    // Min-p may have dropped the boundary bin's lightest tokens; those are outside the nucleus anyway.
    const sorted = scratch.subarray(0, inBoundary).sort();
    let cutoff = 0;
    for (let i = inBoundary - 1, mass = above; i >= 0; i--) {
      mass += sorted[i] as number;
      if (mass >= target) {
        cutoff = sorted[i] as number;
        break;
      }
    }
    // Tokens above the boundary bin all weigh at least `upper`, never less than the cutoff.
    let nucleus = 0;
    for (let i = 0; i < kept; i++) {
      if ((weights[i] as number) < cutoff) continue;
      ids[nucleus] = ids[i] as number;
      weights[nucleus++] = weights[i] as number;
    }
    return nucleus;
  }

  /** Applies top-p (against `total`, the mass of the top k) and min-p to candidates sorted best first. */
  private truncateSorted(count: number, total: number): number {
    const { topP, minP } = this.options;
    let kept = count;
    if (topP < 1) {
      const target = topP * total;
      let mass = 0;
      for (let i = 0; i < count; i++) {
        mass += this.weights[i] as number;
        if (mass >= target) {
          kept = i + 1;
          break;
        }
      }
    }
    // Weights are relative to the best token, so min-p compares them with minP directly.
    while (kept > 1 && (this.weights[kept - 1] as number) < minP) kept--;
    return kept;
  }

  /** Draws one of the first `count` candidates in proportion to its weight. */
  private draw(count: number): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += this.weights[i] as number;
    let threshold = this.random() * total;
    for (let i = 0; i < count - 1; i++) {
      threshold -= this.weights[i] as number;
      if (threshold < 0) return this.ids[i] as number;
    }
    return this.ids[count - 1] as number;
  }

  private reserve(size: number): void {
    if (this.ids.length >= size) return;
    this.ids = new Int32Array(size);
    this.weights = new Float64Array(size);
    this.scratch = new Float64Array(size);
  }
}

/** The top-p histogram bin of a scaled distance from the best logit (< NEGLIGIBLE_DISTANCE). */
function binOfDistance(distance: number): number {
  return Math.trunc(distance * EXP_STEPS_PER_UNIT) >> BIN_SHIFT;
}

/** exp(-distance) from the table; 0 from NEGLIGIBLE_DISTANCE on. */
function expOfMinus(distance: number): number {
  if (!(distance < NEGLIGIBLE_DISTANCE)) return 0;
  const position = distance * EXP_STEPS_PER_UNIT;
  const step = Math.trunc(position);
  const low = EXP_TABLE[step] as number;
  return low + ((EXP_TABLE[step + 1] as number) - low) * (position - step);
}

function argmax(values: Float32Array): number {
  let bestId = 0;
  let best = -Infinity;
  for (let id = 0; id < values.length; id++) {
    if ((values[id] as number) > best) {
      best = values[id] as number;
      bestId = id;
    }
  }
  return bestId;
}

function max(values: Float32Array): number {
  let best = -Infinity;
  for (let id = 0; id < values.length; id++) if ((values[id] as number) > best) best = values[id] as number;
  return best;
}

/** Inserts (value, id) at slot `index` of a min-heap and restores the heap above it. */
function siftUp(values: Float32Array, ids: Int32Array, index: number, value: number, id: number): void {
  let child = index;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if ((values[parent] as number) <= value) break;
    values[child] = values[parent] as number;
    ids[child] = ids[parent] as number;
    child = parent;
  }
  values[child] = value;
  ids[child] = id;
}

/** Replaces the root of a min-heap of `size` entries with (value, id) and restores the heap. */
function siftDown(values: Float32Array, ids: Int32Array, size: number, value: number, id: number): void {
  let parent = 0;
  for (;;) {
    let child = 2 * parent + 1;
    if (child >= size) break;
    if (child + 1 < size && (values[child + 1] as number) < (values[child] as number)) child++;
    if ((values[child] as number) >= value) break;
    values[parent] = values[child] as number;
    ids[parent] = ids[child] as number;
    parent = child;
  }
  values[parent] = value;
  ids[parent] = id;
}

/** A small, fast seeded PRNG (mulberry32) giving floats in [0, 1). */
function mulberry32(seed: number): () => number {
  // Fold seeds above 2^32 into 32 bits rather than dropping their high bits.
  let state = (seed % 2 ** 32 ^ Math.floor(seed / 2 ** 32)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
