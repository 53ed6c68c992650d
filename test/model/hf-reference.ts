// A float64 reference forward pass with HF transformers' semantics (LlamaForCausalLM / Qwen2ForCausalLM): RMSNorm,
// rotate_half RoPE on q/k as stored in the HF checkpoint, GQA causal attention, SwiGLU, tied or separate LM head.
// It reads weights straight from an HF folder, so comparing it with llama.cpp on the converted GGUF tests the
// q/k permutation independently of our own converter and exporter.

import type { ModelConfig } from '../../src/model/config.ts';
import { SafetensorsCheckpoint } from '../../src/model/safetensors.ts';
import { readSafetensorF32 } from '../../src/model/weights.ts';

type Mat = Float64Array; // row-major

/** y[T, out] = x[T, in] · W[out, in]ᵀ (+ b) */
function linear(x: Mat, t: number, w: Float32Array, out: number, b?: Float32Array): Mat {
  const inDim = w.length / out;
  const y = new Float64Array(t * out);
  for (let r = 0; r < t; r++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[o * inDim + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

function rmsNorm(x: Mat, t: number, dim: number, w: Float32Array, eps: number): Mat {
  const y = new Float64Array(x.length);
  for (let r = 0; r < t; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
    const scale = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * scale * w[i];
  }
  return y;
}

/** HF's apply_rotary_pos_emb: pairs (i, i + hd/2) of each head rotate by pos · base^(-2i/hd). */
function rotateHalf(x: Mat, t: number, nHead: number, hd: number, base: number, scale: number): void {
  const half = hd / 2;
  for (let p = 0; p < t; p++) {
    for (let h = 0; h < nHead; h++) {
      const o = (p * nHead + h) * hd;
      for (let i = 0; i < half; i++) {
        const theta = (p / scale) * base ** (-(2 * i) / hd);
        const [c, s] = [Math.cos(theta), Math.sin(theta)];
        const a = x[o + i];
        const b = x[o + i + half];
        x[o + i] = a * c - b * s;
        x[o + i + half] = b * c + a * s;
      }
    }
  }
}

/** Next-token probabilities after each position of `tokens`, computed from an HF checkpoint folder. */
export function hfReferenceProbabilities(dir: string, cfg: ModelConfig, tokens: readonly number[]): Float64Array[] {
  const ckpt = SafetensorsCheckpoint.open(dir);
  try {
    const W = (name: string) => readSafetensorF32(ckpt, name);
    const t = tokens.length;
    const { dim, heads, kvHeads, ffn, vocabSize } = cfg;
    const hd = dim / heads;
    const embed = W('model.embed_tokens.weight');
    let x: Mat = new Float64Array(t * dim);
    for (let r = 0; r < t; r++) for (let i = 0; i < dim; i++) x[r * dim + i] = embed[tokens[r] * dim + i];
    const scale = cfg.ropeScaling?.factor ?? 1;
    for (let l = 0; l < cfg.layers; l++) {
      const p = (n: string) => `model.layers.${l}.${n}`;
      const bias = (n: string) => (cfg.qkvBias ? W(p(`self_attn.${n}.bias`)) : undefined);
      const h = rmsNorm(x, t, dim, W(p('input_layernorm.weight')), cfg.rmsNormEps);
      const q = linear(h, t, W(p('self_attn.q_proj.weight')), heads * hd, bias('q_proj'));
      const k = linear(h, t, W(p('self_attn.k_proj.weight')), kvHeads * hd, bias('k_proj'));
      const v = linear(h, t, W(p('self_attn.v_proj.weight')), kvHeads * hd, bias('v_proj'));
      rotateHalf(q, t, heads, hd, cfg.ropeFreqBase, scale);
      rotateHalf(k, t, kvHeads, hd, cfg.ropeFreqBase, scale);
      const att = new Float64Array(t * heads * hd);
      for (let hh = 0; hh < heads; hh++) {
        const kh = Math.floor(hh / (heads / kvHeads));
        for (let i = 0; i < t; i++) {
          const scores = new Float64Array(i + 1);
          let max = -Infinity;
          for (let j = 0; j <= i; j++) {
            let s = 0;
            for (let d = 0; d < hd; d++) s += q[(i * heads + hh) * hd + d] * k[(j * kvHeads + kh) * hd + d];
            scores[j] = s / Math.sqrt(hd);
            max = Math.max(max, scores[j]);
          }
          let sum = 0;
          for (let j = 0; j <= i; j++) sum += scores[j] = Math.exp(scores[j] - max);
          for (let j = 0; j <= i; j++) {
            for (let d = 0; d < hd; d++)
              att[(i * heads + hh) * hd + d] += (scores[j] / sum) * v[(j * kvHeads + kh) * hd + d];
          }
        }
      }
      const o = linear(att, t, W(p('self_attn.o_proj.weight')), dim);
      x = x.map((xi, i) => xi + o[i]);
      const h2 = rmsNorm(x, t, dim, W(p('post_attention_layernorm.weight')), cfg.rmsNormEps);
      const g = linear(h2, t, W(p('mlp.gate_proj.weight')), ffn);
      const u = linear(h2, t, W(p('mlp.up_proj.weight')), ffn);
      const act = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]);
      const down = linear(act, t, W(p('mlp.down_proj.weight')), dim);
      x = x.map((xi, i) => xi + down[i]);
    }
    const final = rmsNorm(x, t, dim, W('model.norm.weight'), cfg.rmsNormEps);
    const head = ckpt.has('lm_head.weight') ? W('lm_head.weight') : embed;
    const logits = linear(final, t, head, vocabSize);
    return Array.from({ length: t }, (_, r) => {
      const row = logits.subarray(r * vocabSize, (r + 1) * vocabSize);
      const max = Math.max(...row);
      const e = row.map((z) => Math.exp(z - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((z) => z / sum);
    });
  } finally {
    ckpt.close();
  }
}
