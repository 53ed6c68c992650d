import { describe, expect, it } from 'vitest';
import { accumulateStep, isOutOfMemory, type StepRunner } from '../../src/trainer/oom.ts';
import { AdamW } from '../../src/trainer/optimizer.ts';
import { type Batch, stackRows } from '../../src/trainer/packing.ts';

const SEQ = 4;

function row(id: number): Batch {
  const tokens = Int32Array.from({ length: SEQ }, (_, i) => id * 10 + i);
  const labels = Int32Array.from(tokens, (t) => t + 1);
  return {
    rows: 1,
    seqLen: SEQ,
    tokens,
    labels,
    segments: new Int32Array(SEQ).fill(1),
    lossTokens: SEQ,
  };
}

/** A genuine allocation failure: V8 cannot allocate a 1 TiB buffer and throws RangeError. */
function allocateTooMuch(): never {
  new ArrayBuffer(2 ** 40);
  throw new Error('unreachable: the allocation succeeded');
}

/**
 * A toy model whose per-row gradient is an integer vector, so sums are exact in any grouping: a step's result
 * must not depend on how its rows were split into micro-batches.
 */
function runner(failAt: Set<string>, seen: string[], log: string[], step: () => number): StepRunner<Float64Array> {
  return {
    async computeGrads(micro, index) {
      const key = `${step()}:${micro.rows}:${index}`;
      seen.push(key);
      if (failAt.has(key)) allocateTooMuch();
      const g = new Float64Array(SEQ);
      for (let r = 0; r < micro.rows; r++) for (let i = 0; i < SEQ; i++) g[i] += micro.labels[r * SEQ + i];
      return g;
    },
    accumulate(acc, next) {
      if (!acc) return next;
      for (let i = 0; i < acc.length; i++) acc[i] += next[i];
      return acc;
    },
    discard() {},
    log: (m) => log.push(m),
  };
}

function train(failAt: Set<string>) {
  const rows = Array.from({ length: 8 * 5 }, (_, i) => row(i));
  const params = [new Float32Array(SEQ)];
  const opt = new AdamW([SEQ]);
  const plan = { microBatch: 4, gradAccum: 2 };
  const seen: string[] = [];
  const log: string[] = [];
  let step = 0;
  const r = runner(failAt, seen, log, () => step);
  const grads: number[][] = [];
  return (async () => {
    for (step = 0; step < 5; step++) {
      const batch = stackRows(rows.slice(step * 8, step * 8 + 8));
      const g = await accumulateStep(batch, plan, r, step);
      grads.push(Array.from(g));
      opt.step(params, [Float32Array.from(g, (x) => x / (8 * SEQ * 100))], 1e-2);
    }
    return { params: Array.from(params[0]), adamT: opt.t, plan, seen, log, grads };
  })();
}

describe('OOM recovery', () => {
  it('recognises allocation failures from TensorFlow, wasm32 and V8, and nothing else', () => {
    let v8: unknown;
    try {
      allocateTooMuch();
    } catch (err) {
      v8 = err;
    }
    expect(isOutOfMemory(v8)).toBe(true);
    expect(isOutOfMemory(new Error('OOM when allocating tensor with shape[8,512,32000] and type float'))).toBe(true);
    expect(isOutOfMemory(new Error('Resource exhausted: failed to allocate memory'))).toBe(true);
    expect(isOutOfMemory(Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' }))).toBe(true);
    expect(isOutOfMemory(new Error('shapes [2,3] and [4,5] are incompatible'))).toBe(false);
  });

  it('a step that runs out of memory is redone at half micro-batch with double accumulation; no update lost or doubled', async () => {
    const clean = await train(new Set());
    // Fail the second micro-batch of step 2 (after the first one's gradients were already accumulated).
    const failed = await train(new Set(['2:4:1']));

    expect(failed.log).toEqual([
      'step 3: out of memory at micro-batch 4; retrying the step with micro-batch 2 × 4 accumulation',
    ]);
    expect(failed.plan).toEqual({ microBatch: 2, gradAccum: 4 });
    // Step 2 ran micro-batches 0 and 1 of size 4 (the second failed), then all four of size 2; later steps
    // keep the smaller size.
    expect(failed.seen.filter((k) => k.startsWith('2:'))).toEqual([
      '2:4:0',
      '2:4:1',
      '2:2:0',
      '2:2:1',
      '2:2:2',
      '2:2:3',
    ]);
    expect(failed.seen.filter((k) => k.startsWith('3:'))).toEqual(['3:2:0', '3:2:1', '3:2:2', '3:2:3']);
    // Every step's gradient covers its 8 rows exactly once, the optimizer took exactly 5 updates, and the
    // weights are bit-identical to the run that never failed.
    expect(failed.grads).toEqual(clean.grads);
    expect(failed.adamT).toBe(5);
    expect(failed.params).toEqual(clean.params);
  });

  it('out of memory at micro-batch 1 is a clear fatal error; other errors pass through untouched', async () => {
    const plan = { microBatch: 1, gradAccum: 2 };
    const r = runner(new Set(['0:1:0']), [], [], () => 0);
    const batch = stackRows([row(0), row(1)]);
    await expect(accumulateStep(batch, plan, r, 0)).rejects.toThrow(
      /out of memory at step 1 even with micro-batch 1.*--seq-len/,
    );
    const boom: StepRunner<number> = {
      computeGrads: async () => {
        throw new Error('shapes do not match');
      },
      accumulate: (_a, n) => n,
      discard: () => {},
      log: () => {},
    };
    await expect(accumulateStep(batch, { microBatch: 2, gradAccum: 1 }, boom, 0)).rejects.toThrow(
      'shapes do not match',
    );
  });
});
