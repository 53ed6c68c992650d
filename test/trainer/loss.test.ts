import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropySum } from '../../src/trainer/loss.ts';
import { Rng } from '../../src/util/random.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('crossEntropySum', () => {
  it('equals tfjs’s own softmax cross-entropy over labelled rows, value and gradient', () => {
    const rng = new Rng(3);
    const n = 7;
    const vocab = 11;
    const logits = tf.tensor2d(
      Float32Array.from({ length: n * vocab }, () => rng.normal() * 3),
      [n, vocab],
    );
    const labels = Int32Array.of(4, -1, 0, 10, -1, 7, 2);
    const weights = tf.tensor1d(Array.from(labels, (l) => (l >= 0 ? 1 : 0)));
    const onehot = tf.oneHot(
      tf.tensor1d(
        Array.from(labels, (l) => Math.max(l, 0)),
        'int32',
      ),
      vocab,
    );
    const reference = (z: tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(onehot, z as tf.Tensor2D, weights, 0, tf.Reduction.SUM) as tf.Scalar;

    const ours = tf.valueAndGrad((z: tf.Tensor) => crossEntropySum(z as tf.Tensor2D, labels))(logits);
    const theirs = tf.valueAndGrad(reference)(logits);
    expect(ours.value.dataSync()[0]).toBeCloseTo(theirs.value.dataSync()[0], 4);
    const g1 = ours.grad.dataSync();
    const g2 = theirs.grad.dataSync();
    for (let i = 0; i < g1.length; i++) expect(g1[i]).toBeCloseTo(g2[i], 6);
    // Unlabelled rows get no gradient at all.
    for (let j = 0; j < vocab; j++) expect(Math.abs(g1[1 * vocab + j])).toBe(0);
  });

  it('is exactly −log p of the label for a single row', () => {
    const z = tf.tensor2d([[1, 2, 3]]);
    const p = Math.exp(2) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(crossEntropySum(z, Int32Array.of(1)).dataSync()[0]).toBeCloseTo(-Math.log(p), 6);
  });
});
