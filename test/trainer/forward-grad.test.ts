// Gradients through the forward pass on the wasm backend (custom matMul and embedding gradients, the gradients
// registered in src/trainer/gradients.ts), checked against central finite differences of the same loss:
// for a random direction d restricted to one parameter tensor, ⟨∇L, d⟩ ≈ (L(θ + εd) − L(θ − εd)) / 2ε.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initModel } from '../../src/model/init-model.ts';
import { selectBackend } from '../../src/trainer/backend.ts';
import { forward, type TokenBatch } from '../../src/trainer/forward.ts';
import { createLora, disposeLora, type LoraParams, loraVariables } from '../../src/trainer/lora.ts';
import { disposeTfModel, loadTfModel, namedWeights, type TfModel } from '../../src/trainer/tf-model.ts';
import { Rng } from '../../src/util/random.ts';

const VOCAB = 384;
let dir: string;

// Two rows, the first packing two samples, so the segment mask and per-sample positions are on the path.
const batch: TokenBatch = (() => {
  const rng = new Rng(9);
  return {
    tokens: Int32Array.from({ length: 32 }, () => rng.nextU32() % VOCAB),
    batch: 2,
    seqLen: 16,
    segments: Int32Array.from({ length: 32 }, (_, i) => (i < 6 ? 1 : i < 16 ? 2 : 1)),
  };
})();

/** L = Σ logits ⊙ R for a fixed random R: linear in the logits, with a gradient that needs no registered kernel. */
function lossOf(model: TfModel, lora: LoraParams | undefined, r: tf.Tensor2D): tf.Scalar {
  const weighted = tf.customGrad((logits) => ({
    value: tf.sum(tf.mul(logits as tf.Tensor, r)) as tf.Scalar,
    gradFunc: (dy) => tf.mul(dy, r),
  }));
  return weighted(forward(model, batch, { lora })) as tf.Scalar;
}

/** Analytic and numeric directional derivatives along a random direction in each variable, one at a time. */
function directionalChecks(variables: tf.Variable[], loss: () => tf.Scalar) {
  const { grads } = tf.variableGrads(loss, variables);
  const rng = new Rng(4);
  const out: { name: string; analytic: number; numeric: number }[] = [];
  for (const v of variables) {
    const original = tf.clone(v);
    const d = tf.tensor(
      Float32Array.from({ length: v.size }, () => rng.normal()),
      v.shape,
    );
    const scale = Math.max(
      1e-3,
      tf.tidy(() => tf.sqrt(tf.mean(tf.square(original))).dataSync()[0]),
    );
    const eps = 0.03 * Math.max(scale, 0.05);
    const at = (sign: number) => {
      v.assign(tf.tidy(() => tf.add(original, tf.mul(d, sign * eps))));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const numeric = (at(1) - at(-1)) / (2 * eps);
    v.assign(original);
    const analytic = tf.tidy(() => tf.sum(tf.mul(grads[v.name], d)).dataSync()[0]);
    out.push({ name: `${v.name} ${v.shape}`, analytic, numeric });
    original.dispose();
    d.dispose();
  }
  for (const g of Object.values(grads)) g.dispose();
  return out;
}

function expectClose(checks: { name: string; analytic: number; numeric: number }[]) {
  for (const c of checks) {
    // The numeric side carries f32 rounding noise of about 0.01 here (measured by varying ε), hence the slack.
    expect(Math.abs(c.analytic - c.numeric), c.name).toBeLessThanOrEqual(0.02 * Math.abs(c.numeric) + 0.02);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meetara-grad-'));
  await selectBackend('wasm');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gradients through the forward pass (wasm backend)', () => {
  it('LoRA A and B on every target (llama, GQA, untied head)', async () => {
    const path = join(dir, 'llama.gguf');
    const o = { arch: 'llama', vocabSize: VOCAB, dim: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64 } as const;
    await initModel(path, { ...o, contextLength: 64, seed: 3 });
    const model = loadTfModel(path);
    const lora = createLora(model.config, { rank: 2, alpha: 4, seed: 1, stdB: 0.05 });
    const r = tf.randomNormal([32, VOCAB], 0, 1, 'float32', 2) as tf.Tensor2D;
    try {
      const checks = directionalChecks(loraVariables(lora), () => lossOf(model, lora, r));
      expect(checks).toHaveLength(2 * 2 * 7);
      expectClose(checks);
    } finally {
      disposeLora(lora);
      disposeTfModel(model);
      r.dispose();
    }
  });

  it('forward and backward leave no tensors behind', async () => {
    const path = join(dir, 'leak.gguf');
    const o = { arch: 'qwen2', vocabSize: VOCAB, dim: 32, layers: 1, heads: 4, kvHeads: 2, ffn: 64 } as const;
    await initModel(path, { ...o, contextLength: 64, seed: 5 });
    const model = loadTfModel(path);
    const lora = createLora(model.config, { rank: 2, alpha: 4, seed: 1 });
    const r = tf.zeros([32, VOCAB]) as tf.Tensor2D;
    try {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) {
        tf.tidy(() => {
          forward(model, batch, { lora }).dataSync();
        });
        const { value, grads } = tf.variableGrads(() => lossOf(model, lora, r), loraVariables(lora));
        tf.dispose([value, ...Object.values(grads)]);
      }
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      disposeLora(lora);
      disposeTfModel(model);
      r.dispose();
    }
  });

  it('every weight under full fine-tuning (qwen2: biases, tied embeddings as lookup and head)', async () => {
    const path = join(dir, 'qwen2.gguf');
    const o = { arch: 'qwen2', vocabSize: VOCAB, dim: 32, layers: 1, heads: 4, kvHeads: 2, ffn: 64 } as const;
    await initModel(path, { ...o, contextLength: 64, seed: 4, tiedEmbeddings: true });
    const model = loadTfModel(path, { trainable: true });
    const r = tf.randomNormal([32, VOCAB], 0, 1, 'float32', 3) as tf.Tensor2D;
    try {
      const variables = namedWeights(model).map((w) => w.tensor as tf.Variable);
      expect(variables.every((v) => v instanceof tf.Variable && v.trainable)).toBe(true);
      expectClose(directionalChecks(variables, () => lossOf(model, undefined, r)));
    } finally {
      disposeTfModel(model);
      r.dispose();
    }
  });
});
