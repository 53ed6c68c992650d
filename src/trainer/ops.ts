// Tensor ops the forward pass needs, with gradients that run well on every backend.
// On wasm (and cpu) three stock tfjs gradients are a problem, measured on this machine's wasm backend:
//   - tf.gather's gradient needs UnsortedSegmentSum, which wasm lacks: the embedding gradient becomes a 2-D matMul
//     with a one-hot matrix built directly in [vocab, tokens] layout.
//   - matMul's gradient uses the transposeA/transposeB flags, 9-16x slower than a plain 2-D matMul on wasm
//     ([512,256]x[256,768]: 12.7 ms plain, 110 ms transposeB, 203 ms transposeA): the gradients here transpose
//     explicitly (about 2.4 ms per 256K floats) and then multiply plainly.
//   - batched matMul runs at 1.2-1.9 GFLOP/s against 6-7.5 GFLOP/s for the same work as a loop of 2-D matMuls,
//     so attention runs group by group (groupedAttention).
// The tensorflow backend has fast native kernels for all three, so it uses the stock ops.
// Every tensor a gradient needs is handed to `save`, which keeps it alive past the forward pass's tf.tidy.

import * as tf from '@tensorflow/tfjs-core';
import { registerForwardGradients } from './gradients.ts';

registerForwardGradients();

const nativeKernels = () => tf.getBackend() === 'tensorflow';

/** Whether tfjs will want a gradient for this tensor (a trainable variable). */
const isTrainable = (t: tf.Tensor) => t instanceof tf.Variable && t.trainable;

type Save = tf.GradSaveFunc;
const as2d = (t: tf.Tensor) => t as tf.Tensor2D;

/** a [m, k] · b [k, n] with gradients for both operands. */
const matMulBoth = tf.customGrad((a, b, save) => {
  (save as Save)([a as tf.Tensor, b as tf.Tensor]);
  return {
    value: tf.matMul(as2d(a as tf.Tensor), as2d(b as tf.Tensor)),
    gradFunc: (dy, [sa, sb]) => [
      tf.matMul(as2d(dy), tf.transpose(as2d(sb))),
      tf.matMul(tf.transpose(as2d(sa)), as2d(dy)),
    ],
  };
});

/** x [m, k] · w [k, n] for a constant w: only x is an input, so no work is spent on a gradient for w. */
function matMulConstRight(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((a, save) => {
    (save as Save)([w]);
    return {
      value: tf.matMul(as2d(a as tf.Tensor), w),
      gradFunc: (dy, [sw]) => tf.matMul(as2d(dy), tf.transpose(as2d(sw))),
    };
  });
  return as2d(op(x));
}

/**
 * x [m, n_in] · w [n_in, n_out] for a weight w: w gets a gradient only when it is a trainable tf.Variable
 * (full fine-tuning, LoRA factors); a frozen base weight costs no gradient work.
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (nativeKernels()) return tf.matMul(x, w);
  return as2d(isTrainable(w) ? matMulBoth(x, w) : matMulConstRight(x, w));
}

/** x [m, k] · wᵀ for w [n, k]: the tied LM head, logits from the embedding table. */
export function linearTransposed(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (nativeKernels()) return tf.matMul(x, w, false, true);
  return isTrainable(w) ? as2d(matMulTransposedBoth(x, w)) : linear(x, tf.transpose(w));
}

const matMulTransposedBoth = tf.customGrad((x, w, save) => {
  (save as Save)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.matMul(as2d(x as tf.Tensor), tf.transpose(as2d(w as tf.Tensor))),
    gradFunc: (dy, [sx, sw]) => [tf.matMul(as2d(dy), as2d(sw)), tf.matMul(tf.transpose(as2d(dy)), as2d(sx))],
  };
});

/**
 * softmax(q·kᵀ·scale + mask)·v for G independent groups of queries: q [G, m, hd], kT [G, hd, T], v [G, T, hd];
 * mask [R, T, T] is additive and shared by each run of G/R consecutive groups, whose m = heads·T query rows are
 * `heads` blocks of T. Returns [G, m, hd]. On wasm/cpu each group is a chain of 2-D ops (measured 35 vs 56 ms per
 * layer at 4×128 tokens against batched matMuls over stacked groups); on tensorflow it is batched kernels.
 */
export function groupedAttention(
  q: tf.Tensor3D,
  kT: tf.Tensor3D,
  v: tf.Tensor3D,
  mask: tf.Tensor3D,
  scale: number,
): tf.Tensor3D {
  const [G, m, hd] = q.shape;
  const [R, T] = mask.shape;
  const perRow = G / R;
  if (nativeKernels()) {
    const scores = tf.reshape(tf.mul(tf.matMul(q, kT), scale), [R, (perRow * m) / T, T, T]);
    const probs = tf.softmax(tf.add(scores, tf.expandDims(mask, 1)));
    return tf.matMul(tf.reshape(probs, [G, m, T]) as tf.Tensor3D, v);
  }
  const [qs, ks, vs, masks] = [tf.unstack(q), tf.unstack(kT), tf.unstack(v), tf.unstack(mask)];
  const outs = qs.map((qi, i) => {
    const scores = tf.reshape(tf.mul(matMulBoth(qi, ks[i]), scale), [m / T, T, T]);
    const probs = tf.softmax(tf.add(scores, masks[Math.floor(i / perRow)]));
    return matMulBoth(tf.reshape(probs, [m, T]), vs[i]);
  });
  return tf.reshape(tf.stack(outs), [G, m, hd]) as tf.Tensor3D;
}

/** Rows `ids` of `table` [n, d] (an embedding lookup), with a gradient for `table` that works on wasm. */
export function takeRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (nativeKernels() || !isTrainable(table)) return tf.gather(table, ids);
  const op = tf.customGrad((t, save) => {
    (save as Save)([ids]);
    return {
      value: tf.gather(t as tf.Tensor2D, ids),
      // d table = onehotᵀ · dy, with the one-hot built directly as [n, tokens] so the product is a plain matMul.
      gradFunc: (dy, [sids]) => {
        const oneHotT = tf.equal(tf.expandDims(tf.range(0, table.shape[0], 1, 'int32'), 1), tf.expandDims(sids, 0));
        return tf.matMul(tf.cast(oneHotT, 'float32'), as2d(dy));
      },
    };
  });
  return as2d(op(table));
}
