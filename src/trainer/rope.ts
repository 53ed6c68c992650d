// Rotary position embeddings exactly as llama.cpp computes them (ggml_rope_cache_init / rotate_pairs):
//   theta_i = freq_scale · pos · base^(-2i/hd), accumulated in float32 the way ggml does, then each pair
//   (x0, x1) -> (x0·cos − x1·sin, x0·sin + x1·cos).
// NORM rope (llama) pairs adjacent lanes (2i, 2i+1); NEOX rope (qwen2) pairs lane i with lane i + hd/2.
// The pair swap (x0, x1) -> (−x1, x0) is a product with a fixed ±1 permutation matrix, so the whole rotation is
// x·cos + (x·R)·sin: elementwise ops and one 2-D matMul, all with cheap gradients on every backend.

import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../model/config.ts';
import { linear } from './ops.ts';

/** For every position, per-lane cos and sin in the lane layout of the rope type: each [n, hd]. */
export function ropeTables(config: ModelConfig, positions: Int32Array): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const hd = config.headDim;
  const half = hd / 2;
  const freqScale = config.ropeScaling ? 1 / config.ropeScaling.factor : 1;
  const thetaScale = Math.fround(config.ropeFreqBase ** (-2 / hd));
  const cos = new Float32Array(positions.length * hd);
  const sin = new Float32Array(positions.length * hd);
  for (let n = 0; n < positions.length; n++) {
    let theta = Math.fround(positions[n]);
    for (let i = 0; i < half; i++) {
      const t = Math.fround(freqScale * theta);
      const [a, b] = config.ropeType === 'norm' ? [2 * i, 2 * i + 1] : [i, i + half];
      cos[n * hd + a] = cos[n * hd + b] = Math.cos(t);
      sin[n * hd + a] = sin[n * hd + b] = Math.sin(t);
      theta = Math.fround(theta * thetaScale);
    }
  }
  return { cos: tf.tensor2d(cos, [positions.length, hd]), sin: tf.tensor2d(sin, [positions.length, hd]) };
}

/** The [hd, hd] matrix R with (x·R) = the pair partner of each lane, negated on the first lane of each pair. */
export function ropeSwapMatrix(config: ModelConfig): tf.Tensor2D {
  const hd = config.headDim;
  const half = hd / 2;
  const r = new Float32Array(hd * hd);
  for (let i = 0; i < half; i++) {
    const [a, b] = config.ropeType === 'norm' ? [2 * i, 2 * i + 1] : [i, i + half];
    r[b * hd + a] = -1; // out[a] = −x[b]
    r[a * hd + b] = 1; // out[b] = x[a]
  }
  return tf.tensor2d(r, [hd, hd]);
}

/** Rotates x [n, heads, hd] by the tables for its n positions. */
export function applyRope(x: tf.Tensor3D, cos: tf.Tensor2D, sin: tf.Tensor2D, swap: tf.Tensor2D): tf.Tensor3D {
  const [n, heads, hd] = x.shape;
  const swapped = tf.reshape(linear(tf.reshape(x, [n * heads, hd]), swap), [n, heads, hd]);
  return tf.add(tf.mul(x, tf.expandDims(cos, 1)), tf.mul(swapped, tf.expandDims(sin, 1)));
}
