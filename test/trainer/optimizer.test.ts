import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/trainer/backend.ts';
import { AdamW, clipGradNorm } from '../../src/trainer/optimizer.ts';
import { Rng } from '../../src/util/random.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('AdamW', () => {
  it('matches tfjs-core’s own Adam step for step when weight decay is 0', () => {
    const rng = new Rng(7);
    const sizes = [5, 12];
    const init = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
    const ours = init.map((p) => p.slice());
    const vars = init.map((p) => tf.variable(tf.tensor1d(p)));
    const opt = new AdamW(sizes, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const theirs = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    for (let step = 0; step < 10; step++) {
      const grads = sizes.map((n) => Float32Array.from({ length: n }, () => rng.normal()));
      opt.step(ours, grads, 0.01);
      theirs.applyGradients(vars.map((v, k) => ({ name: v.name, tensor: tf.tensor1d(grads[k]) })));
    }
    vars.forEach((v, k) => {
      const t = v.dataSync();
      for (let i = 0; i < t.length; i++) expect(ours[k][i]).toBeCloseTo(t[i], 5);
    });
    expect(opt.t).toBe(10);
  });

  it('decays weights decoupled from the gradient: p ← p·(1 − lr·wd) when the gradient is zero', () => {
    const p = [Float32Array.of(2, -4)];
    const opt = new AdamW([2], { weightDecay: 0.1 });
    opt.step(p, [new Float32Array(2)], 0.5);
    expect(Array.from(p[0])).toEqual([Math.fround(2 * 0.95), Math.fround(-4 * 0.95)]);
  });
});

describe('clipGradNorm', () => {
  it('scales the global norm down to the limit and reports the norm before clipping', () => {
    const g = [Float32Array.of(3), Float32Array.of(0, 4)];
    expect(clipGradNorm(g, 1)).toBe(5);
    expect(g[0][0]).toBeCloseTo(0.6, 6);
    expect(g[1][1]).toBeCloseTo(0.8, 6);
    const small = [Float32Array.of(0.3, 0.4)];
    expect(clipGradNorm(small, 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(small[0])).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
});
