// Gradients for the stock kernels the forward pass differentiates through.
// @tensorflow/tfjs-core registers no gradients by itself: its register_all_gradients module is an ESM tree with
// extensionless imports that Node (and tsx) cannot load, and the @tensorflow/tfjs bundle that carries them brings
// 69 packages (294 MB). These are the same formulas as tfjs's own gradient configs, registered only for kernels
// that have none yet, so tfjs's own take precedence wherever they are loaded.

import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;

/** Sums dy over the axes along which `shape` was broadcast to dy's shape, and gives it `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

const CONFIGS: tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]): Grads => ({
      a: () => unbroadcast(dy as tf.Tensor, a.shape),
      b: () => unbroadcast(dy as tf.Tensor, b.shape),
    }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]): Grads => ({
      a: () => unbroadcast(tf.mul(dy as tf.Tensor, b), a.shape),
      b: () => unbroadcast(tf.mul(dy as tf.Tensor, a), b.shape),
    }),
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]): Grads => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs): Grads => {
      const undo = tf.backend_util.getUndoAxesPermutation((attrs as unknown as tf.TransposeAttrs).perm);
      return { x: () => tf.transpose(dy as tf.Tensor, undo) };
    },
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]): Grads => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(x, 2)) }),
  },
  {
    // d/dx x^(-1/2) = −½ · y³ with y = x^(-1/2)
    kernelName: tf.Rsqrt,
    outputsToSave: [true],
    gradFunc: (dy, [y]): Grads => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.pow(y, 3), -0.5)) }),
  },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy, [y]): Grads => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) }),
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs): Grads => {
      const dim = (attrs as unknown as tf.SoftmaxAttrs).dim;
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs): Grads => {
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const count = axes.reduce((n, a) => n * x.shape[a], 1);
      return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.ones(x.shape)), count) };
    },
  },
  {
    kernelName: tf.Pack,
    gradFunc: (dy, _saved, attrs): Grads => {
      const parts = tf.unstack(dy as tf.Tensor, (attrs as unknown as tf.PackAttrs).axis);
      return Object.fromEntries(parts.map((t, i) => [String(i), () => t]));
    },
  },
  {
    // A single-output unstack hands over one dy rather than an array.
    kernelName: tf.Unpack,
    gradFunc: (dy, _saved, attrs): Grads => ({
      value: () => tf.stack(Array.isArray(dy) ? dy : [dy], (attrs as unknown as tf.UnpackAttrs).axis),
    }),
  },
];

/** Registers the gradients above for every kernel that has none; safe to call more than once. */
export function registerForwardGradients(): void {
  for (const config of CONFIGS) {
    if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
  }
}
