// How a llama-family checkpoint's tensors are named in HF transformers and in GGUF, and the one layout
// difference between them: HF rotates the two halves of each head (NEOX style) while llama.cpp's llama
// architecture rotates adjacent pairs, so q_proj and k_proj rows are permuted on the way (qwen2 keeps NEOX).

import { type BlockTensor, parseBlockTensorName, TENSOR } from '../gguf/llama.ts';

const BLOCK_TO_HF: Record<BlockTensor, string> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};
const HF_TO_BLOCK = new Map(Object.entries(BLOCK_TO_HF).map(([k, v]) => [v, k]));
const GLOBAL_TO_HF: Record<string, string> = {
  [TENSOR.tokenEmbd]: 'model.embed_tokens.weight',
  [TENSOR.outputNorm]: 'model.norm.weight',
  [TENSOR.output]: 'lm_head.weight',
};
const HF_TO_GLOBAL = new Map(Object.entries(GLOBAL_TO_HF).map(([k, v]) => [v, k]));

/** The HF transformers name of a GGUF tensor (`blk.3.attn_q.weight` -> `model.layers.3.self_attn.q_proj.weight`). */
export function hfTensorName(ggufName: string): string | undefined {
  if (GLOBAL_TO_HF[ggufName]) return GLOBAL_TO_HF[ggufName];
  const b = parseBlockTensorName(ggufName);
  const hf = b && BLOCK_TO_HF[b.kind as BlockTensor];
  return hf ? `model.layers.${b.layer}.${hf}.${b.suffix}` : undefined;
}

/** The GGUF name of an HF tensor, or undefined for names that are not part of a llama-family model. */
export function ggufTensorName(hfName: string): string | undefined {
  if (HF_TO_GLOBAL.has(hfName)) return HF_TO_GLOBAL.get(hfName);
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hfName);
  const kind = m && HF_TO_BLOCK.get(m[2]);
  return kind ? `blk.${m[1]}.${kind}.${m[3]}` : undefined;
}

/** The attention heads whose rows a tensor holds when its rows need the RoPE permutation (llama q/k), else 0. */
export function ropePermuteHeads(arch: string, ggufName: string, heads: number, kvHeads: number): number {
  if (arch !== 'llama') return 0;
  const kind = parseBlockTensorName(ggufName)?.kind;
  return kind === 'attn_q' ? heads : kind === 'attn_k' ? kvHeads : 0;
}

/**
 * Permutes the rows of a [nHead·headDim, rowLen] matrix (or a bias, rowLen 1) between HF's half-split layout and
 * llama.cpp's adjacent-pair layout: GGUF row h·hd + 2i + j is HF row h·hd + j·hd/2 + i.
 */
export function permuteRope(x: Float32Array, nHead: number, rowLen: number, to: 'gguf' | 'hf'): Float32Array {
  const rows = x.length / rowLen;
  const hd = rows / nHead;
  const half = hd / 2;
  const out = new Float32Array(x.length);
  for (let h = 0; h < nHead; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const gguf = (h * hd + 2 * i + j) * rowLen;
        const hf = (h * hd + j * half + i) * rowLen;
        const [src, dst] = to === 'gguf' ? [hf, gguf] : [gguf, hf];
        out.set(x.subarray(src, src + rowLen), dst);
      }
    }
  }
  return out;
}
