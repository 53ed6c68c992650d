import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/trainer/backend.ts';
import { registerForwardGradients } from '../../src/trainer/gradients.ts';
import { crossEntropySum } from '../../src/trainer/loss.ts';
import { Rng } from '../../src/util/random.ts';

beforeAll(async () => {
  registerForwardGradients();
  await selectBackend('cpu');
});

describe('crossEntropySum', () => {
  it('equals Σ −log softmax[label] over labelled rows, with gradient softmax − onehot (computed in float64 here)', () => {
    const rng = new Rng(3);
    const n = 7;
    const vocab = 11;
    const z = Float32Array.from({ length: n * vocab }, () => rng.normal() * 3);
    const labels = Int32Array.of(4, -1, 0, 10, -1, 7, 2);
    let want = 0;
    const wantGrad = new Float64Array(n * vocab);
    for (let i = 0; i < n; i++) {
      if (labels[i] < 0) continue;
      const row = Array.from(z.subarray(i * vocab, (i + 1) * vocab));
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      want += Math.log(sum) + max - row[labels[i]];
      row.forEach((v, j) => {
        wantGrad[i * vocab + j] = Math.exp(v - max) / sum - (j === labels[i] ? 1 : 0);
      });
    }
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropySum(x as tf.Tensor2D, labels))(
      tf.tensor2d(z, [n, vocab]),
    );
    expect(value.dataSync()[0]).toBeCloseTo(want, 4);
    const g = grad.dataSync();
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(wantGrad[i], 6);
    // Unlabelled rows get no gradient at all.
    for (let j = 0; j < vocab; j++) expect(Math.abs(g[1 * vocab + j])).toBe(0);
  });

  it('is exactly −log p of the label for a single row', () => {
    const z = tf.tensor2d([[1, 2, 3]]);
    const p = Math.exp(2) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(crossEntropySum(z, Int32Array.of(1)).dataSync()[0]).toBeCloseTo(-Math.log(p), 6);
  });
});
