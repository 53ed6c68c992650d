// The llama-family forward pass in tfjs, the same network llama.cpp runs (src/models/llama.cpp, qwen2.cpp):
//   x = embed(tokens)
//   per layer:  x += Wo · attention(rope(Wq·norm(x) + bq), rope(Wk·norm(x) + bk), Wv·norm(x) + bv)
//               x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
//   logits = Whead · norm(x)
// with optional LoRA on the seven projections: W·x becomes W·x + s·B(A·x), added before any bias as llama.cpp's
// build_lora_mm does. It is differentiable throughout: a trainer wraps it in tf.variableGrads with the LoRA
// variables (or, for full fine-tuning, a model loaded with trainable weights).

import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../model/config.ts';
import { type LoraLayer, type LoraParams, type LoraTarget, loraDelta, loraScale } from './lora.ts';
import { groupedAttention, linear, linearTransposed, takeRows } from './ops.ts';
import { applyRope, ropeSwapMatrix, ropeTables } from './rope.ts';
import type { TfModel } from './tf-model.ts';

/** Rows of token sequences of equal length (a packed training batch, or one prompt). */
export interface TokenBatch {
  /** Number of rows. */
  readonly batch: number;
  readonly seqLen: number;
  /** Token ids, row-major [batch, seqLen]. */
  readonly tokens: Int32Array;
  /**
   * Optional sample id per token, [batch, seqLen], for packed sequences: a token attends only to earlier tokens of
   * its own sample, and positions restart at 0 where a sample begins, exactly as if each sample ran alone.
   */
  readonly segments?: Int32Array;
  /** Optional RoPE position per token; by default the index within the sample (see tokenPositions). */
  readonly positions?: Int32Array;
}

export interface ForwardOptions {
  readonly lora?: LoraParams;
}

/** Position of every token: its index within its sample (its row, when there are no segments). */
export function tokenPositions(b: TokenBatch): Int32Array {
  if (b.positions) return b.positions;
  const pos = new Int32Array(b.batch * b.seqLen);
  for (let r = 0; r < b.batch; r++) {
    for (let t = 0, start = 0; t < b.seqLen; t++) {
      const i = r * b.seqLen + t;
      if (b.segments && t > 0 && b.segments[i] !== b.segments[i - 1]) start = t;
      pos[i] = t - start;
    }
  }
  return pos;
}

/** Additive attention mask [batch, seqLen, seqLen]: 0 where query i may see key j (j ≤ i, same sample), else −∞. */
export function attentionMask(b: TokenBatch): tf.Tensor3D {
  const T = b.seqLen;
  const mask = new Float32Array(b.batch * T * T).fill(Number.NEGATIVE_INFINITY);
  for (let r = 0; r < b.batch; r++) {
    const seg = (t: number) => (b.segments ? b.segments[r * T + t] : 0);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j <= i; j++) if (seg(j) === seg(i)) mask[(r * T + i) * T + j] = 0;
    }
  }
  return tf.tensor3d(mask, [b.batch, T, T]);
}

/** RMSNorm as ggml_rms_norm followed by the weight: x / √(mean(x²) + eps) · w. */
function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight);
}

/**
 * Causal grouped-query attention. q [n, heads, hd], k and v [n, kvHeads, hd], n = batch·T; returns [n, heads·hd].
 * Query head h reads kv head ⌊h / group⌋ (ggml's broadcast in mul_mat), so the query heads that share a kv head are
 * stacked into one [group·T, hd] matrix: each (sequence, kv head) pair is one group of 2-D products.
 */
function attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor3D, c: ModelConfig) {
  const [n, H, hd] = q.shape;
  const [B, T] = mask.shape;
  const Hkv = c.kvHeads;
  const G = B * Hkv;
  const qs = tf.reshape(tf.transpose(tf.reshape(q, [B, T, H, hd]), [0, 2, 1, 3]), [G, (H / Hkv) * T, hd]);
  const kT = tf.reshape(tf.transpose(tf.reshape(k, [B, T, Hkv, hd]), [0, 2, 3, 1]), [G, hd, T]);
  const vs = tf.reshape(tf.transpose(tf.reshape(v, [B, T, Hkv, hd]), [0, 2, 1, 3]), [G, T, hd]);
  // ggml_soft_max_ext: softmax(scores · scale + mask)
  const out = groupedAttention(qs as tf.Tensor3D, kT as tf.Tensor3D, vs as tf.Tensor3D, mask, 1 / Math.sqrt(hd));
  return tf.reshape(tf.transpose(tf.reshape(out, [B, H, T, hd]), [0, 2, 1, 3]), [n, H * hd]) as tf.Tensor2D;
}

/** Hidden states after the final norm, [batch·seqLen, dim]. */
export function hiddenStates(model: TfModel, batch: TokenBatch, options: ForwardOptions = {}): tf.Tensor2D {
  const c = model.config;
  const n = batch.batch * batch.seqLen;
  if (batch.tokens.length !== n) throw new RangeError(`tokens has ${batch.tokens.length} ids, expected ${n}`);
  return tf.tidy(() => {
    const { cos, sin } = ropeTables(c, tokenPositions(batch));
    const swap = ropeSwapMatrix(c);
    const mask = attentionMask(batch);
    const lora = options.lora;
    const s = lora ? loraScale(lora) : 0;

    let x = takeRows(model.tokEmbd, tf.tensor1d(batch.tokens, 'int32'));
    for (let i = 0; i < c.layers; i++) {
      const w = model.layers[i];
      const adapters: LoraLayer = lora?.layers[i] ?? {};
      // W·x (+ s·B(A·x)) (+ bias)
      const project = (h: tf.Tensor2D, weight: tf.Tensor2D, target: LoraTarget, bias?: tf.Tensor1D) => {
        const pair = adapters[target];
        let y = linear(h, weight);
        if (pair) y = tf.add(y, loraDelta(h, pair, s));
        return bias ? tf.add(y, bias) : y;
      };

      // self-attention
      const h = rmsNorm(x, w.attnNorm, c.rmsNormEps);
      const q = tf.reshape(project(h, w.wq, 'q', w.bq), [n, c.heads, c.headDim]) as tf.Tensor3D;
      const k = tf.reshape(project(h, w.wk, 'k', w.bk), [n, c.kvHeads, c.headDim]) as tf.Tensor3D;
      const v = tf.reshape(project(h, w.wv, 'v', w.bv), [n, c.kvHeads, c.headDim]) as tf.Tensor3D;
      const att = attention(applyRope(q, cos, sin, swap), applyRope(k, cos, sin, swap), v, mask, c);
      x = tf.add(x, project(att, w.wo, 'o'));

      // feed-forward: SwiGLU
      const f = rmsNorm(x, w.ffnNorm, c.rmsNormEps);
      const gate = project(f, w.wGate, 'gate');
      const up = project(f, w.wUp, 'up');
      x = tf.add(x, project(tf.mul(tf.mul(gate, tf.sigmoid(gate)), up), w.wDown, 'down'));
    }
    return rmsNorm(x, model.outputNorm, c.rmsNormEps);
  });
}

/** Logits [rows, vocab] from hidden states [rows, dim]: the output matrix, or the embeddings when tied. */
export function lmHead(model: TfModel, hidden: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const logits = model.output ? linear(hidden, model.output) : linearTransposed(hidden, model.tokEmbd);
    return model.outputBias ? tf.add(logits, model.outputBias) : logits;
  });
}

/** Next-token logits at every position, [batch·seqLen, vocab]; row r·seqLen + t predicts token t + 1 of row r. */
export function forward(model: TfModel, batch: TokenBatch, options: ForwardOptions = {}): tf.Tensor2D {
  return tf.tidy(() => lmHead(model, hiddenStates(model, batch, options)));
}
