// A data-parallel training worker (piscina). It runs its own tfjs and its own replica of the model, created on
// its first task; each task brings the current trainable values and a share of the step's rows, and returns the
// gradients of the summed loss over that share, computed in micro-batches of the given size.

import { type BackendName, selectBackend } from './backend.ts';
import { type EngineSpec, GradEngine } from './engine.ts';
import { isOutOfMemory } from './oom.ts';
import { type Batch, splitRows } from './packing.ts';

export interface GradTask {
  readonly spec: EngineSpec;
  readonly backend: BackendName;
  readonly values: Float32Array[];
  readonly batch: Batch;
  readonly microBatch: number;
}

export interface GradTaskResult {
  readonly grads: Float32Array[];
  readonly lossSum: number;
  readonly lossTokens: number;
}

let engine: Promise<GradEngine> | undefined;

export default async function gradTask(t: GradTask): Promise<GradTaskResult> {
  engine ??= selectBackend(t.backend).then(() => GradEngine.create(t.spec));
  const e = await engine;
  try {
    e.setValues(t.values);
    let grads: Float32Array[] | undefined;
    let lossSum = 0;
    for (const micro of splitRows(t.batch, t.microBatch)) {
      const r = e.grads(micro);
      lossSum += r.lossSum;
      if (!grads) grads = r.grads.map((g) => g.slice());
      else
        grads.forEach((g, k) => {
          addInto(g, r.grads[k]);
        });
    }
    return { grads: grads ?? [], lossSum, lossTokens: t.batch.lossTokens };
  } catch (err) {
    // After an allocation failure the backend's heap is suspect: build a fresh replica for the next task.
    if (isOutOfMemory(err)) {
      engine = undefined;
      e.dispose();
    }
    throw err;
  }
}

export function addInto(acc: Float32Array, g: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += g[i];
}
