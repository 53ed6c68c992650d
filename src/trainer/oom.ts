// Out-of-memory recovery. A training step accumulates gradients over `gradAccum` micro-batches of `microBatch`
// rows and applies one optimizer update at the end. If any micro-batch runs out of memory, the partial
// gradients are dropped, the micro-batch is halved and accumulation doubled, and the whole step is redone from
// its first row: the update is applied exactly once, over exactly the same rows.

import { InputError } from '../errors.ts';
import { type Batch, splitRows } from './packing.ts';

/** Messages the backends use when an allocation fails (TensorFlow, wasm32, V8 typed arrays). */
const OOM_PATTERNS = [
  /out of memory/i,
  /\bOOM\b/,
  /resource ?exhausted/i,
  /array buffer allocation failed/i,
  /memory access out of bounds/i, // wasm32: malloc failed past the 4 GiB ceiling
  /cannot enlarge memory/i,
  /failed to allocate/i,
  /invalid typed array length/i,
];

export function isOutOfMemory(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return OOM_PATTERNS.some((p) => p.test(text));
}

export interface AccumPlan {
  microBatch: number;
  gradAccum: number;
}

export interface StepRunner<G> {
  /**
   * Micro-batches computeGrads takes at once (data-parallel workers each take one of plan.microBatch rows);
   * default 1.
   */
  readonly parallel?: number;
  /** Forward + backward on one micro-batch: returns its gradients (summed loss, not yet averaged). */
  computeGrads(micro: Batch, index: number): Promise<G>;
  /** Adds `next` into `acc` (or returns `next` when there is nothing yet), releasing `next`. */
  accumulate(acc: G | undefined, next: G): G;
  /** Releases partial gradients of a failed attempt. */
  discard(acc: G): void;
  log(message: string): void;
}

/**
 * Runs one step's micro-batches and returns the summed gradients. On OOM it shrinks `plan` in place (so later
 * steps keep the smaller micro-batch) and retries the step. Micro-batch 1 that still fails is fatal.
 */
export async function accumulateStep<G>(batch: Batch, plan: AccumPlan, r: StepRunner<G>, step: number): Promise<G> {
  for (;;) {
    const parallel = r.parallel ?? 1;
    const micros = splitRows(batch, plan.microBatch * parallel);
    let acc: G | undefined;
    try {
      for (const [i, micro] of micros.entries()) acc = r.accumulate(acc, await r.computeGrads(micro, i));
      return acc!;
    } catch (err) {
      if (acc !== undefined) r.discard(acc);
      if (!isOutOfMemory(err)) throw err;
      if (plan.microBatch === 1) {
        throw new InputError(
          `out of memory at step ${step + 1} even with micro-batch 1 (${(err as Error).message}); lower --seq-len or use a smaller model`,
        );
      }
      const from = plan.microBatch;
      plan.microBatch = Math.max(1, Math.floor(from / 2));
      plan.gradAccum = Math.ceil(batch.rows / (plan.microBatch * parallel));
      r.log(
        `step ${step + 1}: out of memory at micro-batch ${from}; retrying the step with micro-batch ${plan.microBatch} × ${plan.gradAccum} accumulation`,
      );
    }
  }
}
