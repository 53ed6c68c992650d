// The replacement wasm kernels (src/trainer/wasm-kernels.ts) give exactly what tfjs's own cpu kernels give.

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/trainer/backend.ts';
import { registerForwardGradients } from '../../src/trainer/gradients.ts';
import { installWasmKernels } from '../../src/trainer/wasm-kernels.ts';
import { Rng } from '../../src/util/random.ts';

const rng = new Rng(8);
const values = Float32Array.from({ length: 5 * 6 * 7 }, () => rng.normal());
const shape = [5, 6, 7];

/** Runs f on the given backend and returns every output's values. */
async function on(backend: 'wasm' | 'cpu', f: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await selectBackend(backend);
  return tf.tidy(() => {
    const out = f(tf.tensor(values, shape));
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('wasm kernel replacements', () => {
  const cases: Record<string, (x: tf.Tensor) => tf.Tensor | tf.Tensor[]> = {
    'contiguous slice': (x) => tf.slice(x, [2, 0, 0], [2, -1, -1]),
    'strided slice (falls back to the stock kernel)': (x) => tf.slice(x, [1, 2, 3], [3, 2, 4]),
    'unstack axis 0': (x) => tf.unstack(x),
    'unstack axis 1 (stock kernel)': (x) => tf.unstack(x, 1),
    'unstack a reshaped view': (x) => tf.unstack(tf.reshape(x, [30, 7])),
  };
  for (const [name, f] of Object.entries(cases)) {
    it(`${name} equals the cpu backend`, async () => {
      expect(await on('wasm', f)).toEqual(await on('cpu', f));
    });
  }

  it('shared clones keep their values after the original is freed, and gradients are unchanged', async () => {
    await selectBackend('wasm');
    registerForwardGradients();
    const f = (x: tf.Tensor) => tf.mul(tf.softmax(tf.reshape(x, [30, 7])), tf.sigmoid(tf.reshape(x, [30, 7])));
    const grad = () =>
      tf.tidy(() =>
        tf
          .grad(f)(tf.tensor(values, shape), tf.ones([30, 7]))
          .dataSync(),
      );
    const gradBefore = grad();
    installWasmKernels({ shareClones: true });
    const x = tf.tensor(values, shape);
    const y = tf.clone(x);
    x.dispose();
    expect(y.dataSync()).toEqual(values);
    y.dispose();
    expect(grad()).toEqual(gradBefore);
  });
});
