import * as ort from 'onnxruntime-node';
import { RuntimeError } from '../errors.js';
import { BatchedKvStore } from './batched-kv-store.js';
import { commonPrefixLength } from './common-prefix-length.js';
import { deferred, type Deferred } from './deferred.js';
import { logitsRow } from './logits-row.js';
import type { GraphSignature } from './graph-signature.js';
import type { DraftVerifier, SequenceDecoder } from './sequence-decoder.js';

/** One sequence's decoder over a `BatchedDecoder`: its `forward` resolves once the batch has run. */
export interface BatchedSequence extends SequenceDecoder {
  /** Ends the sequence, so that the batch no longer waits for it; safe to call twice. */
  leave(): void;
}

/** A forward pass a sequence is waiting for. */
interface PendingStep {
  slot: number;
  ids: readonly number[];
  /** The logits of every fed position (checking drafts), not only the last one's. */
  everyPosition: boolean;
  logits: Deferred<Float32Array[]>;
}

/**
 * Runs the sequences of several slots together (continuous batching) over one owm fused graph:
 * once every sequence in flight waits for its next step, a joining sequence's prompt runs alone on
 * its slot's rows, and every single-token step runs in one forward pass, the batch row of each
 * slot right-padded in the attention mask to its own length (the graph's attention, owm's own or a
 * kept GroupQueryAttention, reads each row's length from the mask, and the new KV rows come back
 * at that length). Decoding
 * reads the weights once per step whatever the batch, which is where it spends its time.
 *
 * A batch covers the slots between the lowest and the highest one stepping; an idle slot between
 * them feeds a dummy token over an empty cache, whose rows are not kept.
 *
 * A sequence alone in flight can check drafted tokens (prompt lookup): its `verifier` exists only
 * then, since a pass over several tokens runs alone and would hold the others back.
 */
export class BatchedDecoder {
  private readonly store: BatchedKvStore;
  /** The ids each slot's cache holds, in order. */
  private readonly cached = new Map<number, number[]>();
  private readonly pending: PendingStep[] = [];
  private readonly fetchNames: string[];
  /** Sequences in flight: a batch runs once each of them waits for a step. */
  private members = 0;
  private running = false;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly signature: GraphSignature,
  ) {
    if (!BatchedDecoder.supports(signature)) {
      throw new RuntimeError('Only owm fused graphs (new KV rows out, attention mask in, rotary inside) decode in batches.', {
        code: 'unsupported-graph',
      });
    }
    this.store = new BatchedKvStore(signature);
    this.fetchNames = ['logits', ...signature.layers.flatMap((layer) => [layer.presentKey, layer.presentValue])];
  }

  /** True for graphs a batch can run: owm's fused graphs (new KV rows out, attention mask in, no position ids). */
  static supports(signature: GraphSignature): boolean {
    const { kvOutputs, hasAttentionMask, hasPositionIds, hasUseCacheBranch } = signature;
    return kvOutputs === 'new-rows' && hasAttentionMask && !hasPositionIds && !hasUseCacheBranch;
  }

  /** The decoder of a sequence on `slot`: it joins the batch at its first call and must `leave()` when it ends. */
  sequence(slot: number): BatchedSequence {
    let joined = false;
    const join = (): void => {
      if (joined) return;
      joined = true;
      this.members++;
    };
    const ids = (): number[] => this.idsOf(slot);
    const step = (fed: readonly number[], everyPosition: boolean): Promise<Float32Array[]> => {
      join();
      const pending: PendingStep = { slot, ids: fed, everyPosition, logits: deferred() };
      this.pending.push(pending);
      this.schedule();
      return pending.logits.promise;
    };
    const verifier: DraftVerifier = {
      get length() {
        return ids().length;
      },
      forwardEach: (fed) => step(fed, true),
      // The rows after `length` stay in the buffer, hidden by the attention mask until overwritten.
      rewind: (length) => {
        if (length < ids().length) ids().length = length;
      },
    };
    // A pass over several tokens runs alone: drafts are checked only while no other sequence waits.
    const canCheckDrafts = (): boolean => this.members === 1 && this.signature.hasNumLogitsToKeep;
    return {
      // The capacity announced is not reserved: each run reserves what it needs (see BatchedKvStore).
      reset: () => {
        join();
        ids().length = 0;
      },
      startSequence: (promptIds) => {
        join();
        const kept = Math.max(0, Math.min(commonPrefixLength(ids(), promptIds), promptIds.length - 1));
        verifier.rewind(kept);
        return kept;
      },
      forward: async (fed) => (await step(fed, false))[0] as Float32Array,
      get verifier() {
        return canCheckDrafts() ? verifier : undefined;
      },
      leave: () => {
        if (!joined) return;
        joined = false;
        this.members--;
        this.schedule();
      },
    };
  }

  private idsOf(slot: number): number[] {
    let ids = this.cached.get(slot);
    if (!ids) {
      ids = [];
      this.cached.set(slot, ids);
    }
    return ids;
  }

  /** Runs the waiting steps once every sequence in flight waits for one. */
  private schedule(): void {
    if (this.running || this.pending.length === 0 || this.pending.length < this.members) return;
    this.running = true;
    const steps = this.pending.splice(0);
    void this.runSteps(steps).finally(() => {
      this.running = false;
      this.schedule();
    });
  }

  /** Prompts and draft checks one by one, then the single-token steps in one batch. */
  private async runSteps(steps: PendingStep[]): Promise<void> {
    const alone = (step: PendingStep): boolean => step.ids.length !== 1 || step.everyPosition;
    for (const step of steps) if (alone(step)) await this.settle([step]);
    const decoding = steps.filter((step) => !alone(step));
    if (decoding.length > 0) await this.settle(decoding);
  }

  private async settle(steps: PendingStep[]): Promise<void> {
    try {
      const logits = await this.run(steps);
      steps.forEach((step, i) => step.logits.resolve(logits[i] as Float32Array[]));
    } catch (error) {
      for (const step of steps) step.logits.reject(error);
    }
  }

  /**
   * One forward pass of `steps` (each feeding as many ids, on slots of their own); returns each
   * one's logits: the last position's, or every fed position's for a draft check (run alone).
   */
  private async run(steps: PendingStep[]): Promise<Float32Array[][]> {
    const fed = (steps[0] as PendingStep).ids.length;
    const kept = steps.length === 1 && steps[0]?.everyPosition ? fed : 1;
    const slots = steps.map((step) => step.slot);
    const first = Math.min(...slots);
    const count = Math.max(...slots) - first + 1;
    // Dummy rows: an empty cache, fed id 0.
    const lengths = new Array<number>(count).fill(0);
    const inputIds = new BigInt64Array(count * fed);
    for (const step of steps) {
      const row = step.slot - first;
      lengths[row] = this.idsOf(step.slot).length;
      this.store.reserve(step.slot, (lengths[row] as number) + fed);
      step.ids.forEach((id, j) => (inputIds[row * fed + j] = BigInt(id)));
    }
    const width = Math.max(...lengths) + fed;
    const mask = new BigInt64Array(count * width);
    lengths.forEach((length, row) => mask.fill(1n, row * width, row * width + length + fed));
    const outputs = await this.session.run(
      {
        input_ids: new ort.Tensor('int64', inputIds, [count, fed]),
        attention_mask: new ort.Tensor('int64', mask, [count, width]),
        ...(this.signature.hasNumLogitsToKeep ? { num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(BigInt(kept)), []) } : {}),
        ...this.store.pastFeeds(first, count, width === fed),
      },
      this.fetchNames,
    );
    return steps.map((step) => {
      const row = step.slot - first;
      this.store.write(outputs, row, step.slot, lengths[row] as number);
      const cached = this.idsOf(step.slot);
      for (const id of step.ids) cached.push(id);
      // Logits [count, kept, vocab]: this row's positions, in order.
      return Array.from({ length: kept }, (_, position) => logitsRow(outputs.logits as ort.Tensor, row * kept + position));
    });
  }
}
