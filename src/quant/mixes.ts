// llama-quantize's file-type mixes: which ggml type each tensor gets for a file type, following
// llama_tensor_get_type in src/llama-quant.cpp (no imatrix, no overrides). Tensors are visited in llama.cpp's
// order, because attn_v and ffn_down are counted as they are met.

import { InputError } from '../errors.ts';
import { GGML_TYPES, GgmlType, LlamaFileType } from '../gguf/constants.ts';

/** The file types `meetara quantize --type` accepts, by the name llama-quantize uses. */
export const QUANT_FILE_TYPES = {
  F32: LlamaFileType.ALL_F32,
  F16: LlamaFileType.MOSTLY_F16,
  BF16: LlamaFileType.MOSTLY_BF16,
  Q8_0: LlamaFileType.MOSTLY_Q8_0,
  Q4_0: LlamaFileType.MOSTLY_Q4_0,
  Q4_1: LlamaFileType.MOSTLY_Q4_1,
  Q5_0: LlamaFileType.MOSTLY_Q5_0,
  Q5_1: LlamaFileType.MOSTLY_Q5_1,
  Q6_K: LlamaFileType.MOSTLY_Q6_K,
  Q5_K_S: LlamaFileType.MOSTLY_Q5_K_S,
  Q5_K_M: LlamaFileType.MOSTLY_Q5_K_M,
  Q4_K_S: LlamaFileType.MOSTLY_Q4_K_S,
  Q4_K_M: LlamaFileType.MOSTLY_Q4_K_M,
  Q3_K_S: LlamaFileType.MOSTLY_Q3_K_S,
  Q3_K_M: LlamaFileType.MOSTLY_Q3_K_M,
  Q3_K_L: LlamaFileType.MOSTLY_Q3_K_L,
  Q2_K: LlamaFileType.MOSTLY_Q2_K,
} as const;

export type QuantTypeName = keyof typeof QUANT_FILE_TYPES;
export const QUANT_TYPE_NAMES = Object.keys(QUANT_FILE_TYPES) as QuantTypeName[];

/** Parses a --type value (case-insensitive) into a llama file type. */
export function parseQuantType(name: string): LlamaFileType {
  const ftype = QUANT_FILE_TYPES[name.toUpperCase() as QuantTypeName];
  if (ftype === undefined) {
    throw new InputError(`unknown quantization type '${name}' (choose one of: ${QUANT_TYPE_NAMES.join(', ')})`);
  }
  return ftype;
}

/** llama_ftype_get_default_type: the type most tensors of a file type get. */
export function defaultTensorType(ftype: LlamaFileType): GgmlType {
  switch (ftype) {
    case LlamaFileType.ALL_F32:
      return GgmlType.F32;
    case LlamaFileType.MOSTLY_F16:
      return GgmlType.F16;
    case LlamaFileType.MOSTLY_BF16:
      return GgmlType.BF16;
    case LlamaFileType.MOSTLY_Q8_0:
      return GgmlType.Q8_0;
    case LlamaFileType.MOSTLY_Q4_0:
      return GgmlType.Q4_0;
    case LlamaFileType.MOSTLY_Q4_1:
      return GgmlType.Q4_1;
    case LlamaFileType.MOSTLY_Q5_0:
      return GgmlType.Q5_0;
    case LlamaFileType.MOSTLY_Q5_1:
      return GgmlType.Q5_1;
    case LlamaFileType.MOSTLY_Q2_K:
      return GgmlType.Q2_K;
    case LlamaFileType.MOSTLY_Q3_K_S:
    case LlamaFileType.MOSTLY_Q3_K_M:
    case LlamaFileType.MOSTLY_Q3_K_L:
      return GgmlType.Q3_K;
    case LlamaFileType.MOSTLY_Q4_K_S:
    case LlamaFileType.MOSTLY_Q4_K_M:
      return GgmlType.Q4_K;
    case LlamaFileType.MOSTLY_Q5_K_S:
    case LlamaFileType.MOSTLY_Q5_K_M:
      return GgmlType.Q5_K;
    case LlamaFileType.MOSTLY_Q6_K:
      return GgmlType.Q6_K;
    default:
      throw new InputError(`file type ${ftype} is not supported (choose one of: ${QUANT_TYPE_NAMES.join(', ')})`);
  }
}

/** What the mix rules need to know about the model. */
export interface ModelShape {
  readonly arch: string;
  /** `{arch}.block_count`. */
  readonly nLayer: number;
  /** head_count / head_count_kv (integer division), 0 when unknown. */
  readonly nGqa: number;
  /** `{arch}.expert_count`, 0 for dense models. */
  readonly nExpert: number;
  /** llama.cpp's LLM_TYPE_70B, which gives attn_v more bits. */
  readonly is70B: boolean;
}

export interface TensorShape {
  readonly name: string;
  readonly ne: readonly number[];
  readonly type: GgmlType;
}

/** Tensor order of llama.cpp's weights_map: non-block tensors first, then by layer, then by name (bytewise). */
export function llamaTensorOrder<T extends { readonly name: string }>(tensors: readonly T[]): T[] {
  const layerOf = (name: string) => {
    const m = /^blk\.\s*([+-]?\d+)/.exec(name);
    return m ? Number.parseInt(m[1], 10) : -1;
  };
  return [...tensors].sort((a, b) => {
    const la = layerOf(a.name);
    const lb = layerOf(b.name);
    if (la !== lb) return la - lb;
    return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
  });
}

// Substrings that mark 2-D weights llama.cpp never quantizes (tensor_allows_quantization).
const NEVER_QUANTIZED = [
  '_norm.weight',
  'ffn_gate_inp.weight',
  'ffn_gate_tid2eid.weight',
  'altup',
  'laurel',
  'per_layer_model_proj',
  'ssm_conv1d',
  'shortconv.conv.weight',
  'indexer.k_proj.weight',
  'indexer.q_proj.weight',
  'time_mix_first.weight',
  'time_mix_w0.weight',
  'time_mix_w1.weight',
  'time_mix_w2.weight',
  'time_mix_v0.weight',
  'time_mix_v1.weight',
  'time_mix_v2.weight',
  'time_mix_a0.weight',
  'time_mix_a1.weight',
  'time_mix_a2.weight',
  'time_mix_g1.weight',
  'time_mix_g2.weight',
  'time_mix_decay_w1.weight',
  'time_mix_decay_w2.weight',
  'time_mix_lerp_fused.weight',
  'attn_rel_b.weight',
  '.position_embd',
  'sam.pos_embd',
  'sam.neck.',
  'sam.net_',
  '.rel_pos',
  '.patch_embd',
  '.patch_merger',
  'a.rvq.codebook',
  'mm.a.code_embd',
];

/** ggml_n_dims: dimensions up to the last one larger than 1. */
function nDims(ne: readonly number[]): number {
  for (let i = ne.length - 1; i >= 1; i--) if (ne[i] > 1) return i + 1;
  return 1;
}

/** Whether llama-quantize touches a tensor at all: 2-D+ weights, minus norms and a list of small tensors. */
export function allowsQuantization(t: TensorShape): boolean {
  if (nDims(t.ne) < 2) return false;
  if (!t.name.endsWith('weight')) return false;
  if (t.name === 'position_embd.weight' || t.name === 'token_types.weight') return false;
  return !NEVER_QUANTIZED.some((s) => t.name.includes(s));
}

type Category =
  | 'token_embd'
  | 'attn_q'
  | 'attn_v'
  | 'attn_k'
  | 'attn_qkv'
  | 'attn_kv_b'
  | 'attn_output'
  | 'ffn_up'
  | 'ffn_gate'
  | 'ffn_down'
  | 'output'
  | 'other';

/** tensor_get_category: broad roles by name, tested in llama.cpp's order. */
function categoryOf(name: string): Category {
  if (name === 'output.weight') return 'output';
  if (name === 'token_embd.weight' || name === 'per_layer_token_embd.weight') return 'token_embd';
  const byName: [string, Category][] = [
    ['attn_qkv.weight', 'attn_qkv'],
    ['attn_kv_b.weight', 'attn_kv_b'],
    ['attn_v.weight', 'attn_v'],
    ['attn_k.weight', 'attn_k'],
    ['attn_q.weight', 'attn_q'],
    ['attn_output.weight', 'attn_output'],
    ['ffn_up', 'ffn_up'],
    ['ffn_gate', 'ffn_gate'],
    ['ffn_down', 'ffn_down'],
  ];
  for (const [part, cat] of byName) if (name.includes(part)) return cat;
  return 'other';
}

/** attn_qkv and attn_kv_b count as attn_v (so llama.cpp's own attn_qkv branch never runs). */
const isAttnV = (c: Category) => c === 'attn_v' || c === 'attn_qkv' || c === 'attn_kv_b';

/** Layers that get more bits in the _M mixes: the first and last eighth, and every third one between. */
export function useMoreBits(i: number, n: number): boolean {
  const e = Math.trunc(n / 8);
  return i < e || i >= Math.trunc((7 * n) / 8) || (i - e) % 3 === 2;
}

/**
 * tensor_type_fallback: a K-quant needs rows that are multiples of 256; otherwise fall back to a 32-block
 * type of similar size, and to F16 when even 32 does not divide the row.
 */
export function fallbackType(ne0: number, type: GgmlType): GgmlType {
  const block = GGML_TYPES[type].blockSize;
  if (ne0 % block === 0) return type;
  const fallbacks: Partial<Record<GgmlType, GgmlType>> = {
    [GgmlType.Q2_K]: GgmlType.Q4_0,
    [GgmlType.Q3_K]: GgmlType.Q4_0,
    [GgmlType.Q4_K]: GgmlType.Q5_0,
    [GgmlType.Q5_K]: GgmlType.Q5_1,
    [GgmlType.Q6_K]: GgmlType.Q8_0,
  };
  const next = fallbacks[type] ?? (block <= 32 ? type : undefined);
  if (next === undefined) {
    throw new InputError(`no fallback type is defined for ${GGML_TYPES[type].name} with a row length of ${ne0}`);
  }
  return ne0 % GGML_TYPES[next].blockSize === 0 ? next : GgmlType.F16;
}

const isQuantized = (t: GgmlType) => GGML_TYPES[t].blockSize > 1;
const F = LlamaFileType;
const T = GgmlType;

/**
 * The ggml type of every tensor for file type `ftype`, in the order given (which must be llamaTensorOrder's).
 * Tensors llama.cpp never quantizes keep their type.
 */
export function planTensorTypes(tensors: readonly TensorShape[], ftype: LlamaFileType, model: ModelShape): GgmlType[] {
  const defaultType = defaultTensorType(ftype);
  const categories = tensors.map((t) => categoryOf(t.name));
  const nAttentionWv = categories.filter(isAttnV).length;
  const tied = !categories.includes('output');
  const falcon = model.arch === 'falcon';
  let iAttentionWv = 0;
  let iFfnDown = 0;
  let iFfnGate = 0;
  let iFfnUp = 0;

  // layer_info: dense models count layers as met; MoE models read the layer from the name.
  const layerInfo = (counter: number, name: string): number => {
    if (model.nExpert <= 1) return counter;
    const m = /^blk\.(\d+)\./.exec(name);
    const layer = m ? Number(m[1]) : Number.NaN;
    if (!(layer >= 0 && layer < model.nLayer)) {
      throw new InputError(`cannot tell the layer of tensor '${name}' (expected blk.N. with N < ${model.nLayer})`);
    }
    return layer;
  };

  const mixType = (t: TensorShape, cat: Category): GgmlType => {
    let type = defaultType;
    const n = model.nLayer;
    if (cat === 'output' || (tied && cat === 'token_embd')) {
      if (falcon || t.ne[0] % GGML_TYPES[type].blockSize !== 0) type = T.Q8_0;
      else if (type !== T.Q8_0) type = T.Q6_K;
    } else if (cat === 'token_embd') {
      // The untied embeddings keep the default type in every mix we support.
    } else if (isAttnV(cat)) {
      if (ftype === F.MOSTLY_Q2_K) type = model.nGqa >= 4 ? T.Q4_K : T.Q3_K;
      else if (ftype === F.MOSTLY_Q3_K_M) type = iAttentionWv < 2 ? T.Q5_K : T.Q4_K;
      else if (ftype === F.MOSTLY_Q3_K_L) type = T.Q5_K;
      else if ((ftype === F.MOSTLY_Q4_K_M || ftype === F.MOSTLY_Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) {
        type = T.Q6_K;
      } else if (ftype === F.MOSTLY_Q4_K_S && iAttentionWv < 4) type = T.Q5_K;
      if (model.is70B && (type === T.Q3_K || type === T.Q4_K)) type = T.Q5_K;
      if (model.nExpert === 8) type = T.Q8_0;
      iAttentionWv++;
    } else if (cat === 'attn_k') {
      if (model.nExpert === 8) type = T.Q8_0;
    } else if (cat === 'ffn_down') {
      const i = layerInfo(iFfnDown, t.name);
      if (ftype === F.MOSTLY_Q2_K) type = T.Q3_K;
      else if (ftype === F.MOSTLY_Q3_K_M) {
        type = i < Math.trunc(n / 16) ? T.Q5_K : !falcon || useMoreBits(i, n) ? T.Q4_K : T.Q3_K;
      } else if (ftype === F.MOSTLY_Q3_K_L) type = falcon ? T.Q4_K : T.Q5_K;
      else if (ftype === F.MOSTLY_Q4_K_M) {
        if (falcon) type = i < Math.trunc(n / 16) ? T.Q6_K : useMoreBits(i, n) ? T.Q5_K : T.Q4_K;
        else if (useMoreBits(i, n)) type = T.Q6_K;
      } else if (ftype === F.MOSTLY_Q5_K_M && useMoreBits(i, n)) type = T.Q6_K;
      else if (ftype === F.MOSTLY_Q4_K_S && !falcon && i < Math.trunc(n / 8)) type = T.Q5_K;
      iFfnDown++;
    } else if (cat === 'attn_output') {
      if (falcon) {
        if (ftype === F.MOSTLY_Q3_K_L) type = T.Q4_K;
      } else if (model.nExpert === 8) {
        const bumped: LlamaFileType[] = [
          F.MOSTLY_Q2_K,
          F.MOSTLY_Q3_K_S,
          F.MOSTLY_Q3_K_M,
          F.MOSTLY_Q4_K_S,
          F.MOSTLY_Q4_K_M,
        ];
        if (bumped.includes(ftype)) type = T.Q5_K;
      } else if (ftype === F.MOSTLY_Q2_K) type = T.Q3_K;
      else if (ftype === F.MOSTLY_Q3_K_M) type = T.Q4_K;
      else if (ftype === F.MOSTLY_Q3_K_L) type = T.Q5_K;
    } else if (cat === 'ffn_gate') {
      layerInfo(iFfnGate++, t.name);
    } else if (cat === 'ffn_up') {
      layerInfo(iFfnUp++, t.name);
    }
    return type;
  };

  return tensors.map((t, k) => {
    if (!allowsQuantization(t)) return t.type;
    if (!isQuantized(defaultType)) return defaultType;
    return fallbackType(t.ne[0], mixType(t, categories[k]));
  });
}
