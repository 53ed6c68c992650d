// Llama-family GGUF conventions: tensor names, the metadata keys llama.cpp requires with their exact types,
// and the layout of every tensor. Shapes here are in ggml ne order (ne[0] = row length).

import { GgufValueType } from './constants.ts';
import { type GgufMetadata, kv } from './metadata.ts';

export const SUPPORTED_ARCHS = ['llama', 'qwen2'] as const;
export type LlamaArch = (typeof SUPPORTED_ARCHS)[number];

/** The hyperparameters that fix a llama-family model's tensors and metadata. */
export interface LlamaHParams {
  readonly arch: LlamaArch;
  readonly vocabSize: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffn: number;
  readonly contextLength: number;
  readonly ropeFreqBase: number;
  readonly rmsNormEps: number;
  /** True when there is no output.weight and the LM head reuses token_embd.weight. */
  readonly tiedEmbeddings: boolean;
}

export const headDim = (h: LlamaHParams) => h.dim / h.heads;

export const TENSOR = {
  tokenEmbd: 'token_embd.weight',
  outputNorm: 'output_norm.weight',
  output: 'output.weight',
} as const;

/** Per-layer tensor kinds, in the order llama.cpp's converter writes them. */
export const BLOCK_TENSORS = [
  'attn_norm',
  'attn_q',
  'attn_k',
  'attn_v',
  'attn_output',
  'ffn_norm',
  'ffn_gate',
  'ffn_up',
  'ffn_down',
] as const;
export type BlockTensor = (typeof BLOCK_TENSORS)[number];

export const blockTensorName = (layer: number, kind: BlockTensor, suffix: 'weight' | 'bias' = 'weight') =>
  `blk.${layer}.${kind}.${suffix}`;

/** Parses `blk.N.kind.suffix` into its parts, or returns undefined for non-block tensors. */
export function parseBlockTensorName(name: string): { layer: number; kind: string; suffix: string } | undefined {
  const m = /^blk\.(\d+)\.([a-z_0-9]+)\.([a-z_]+)$/.exec(name);
  return m ? { layer: Number(m[1]), kind: m[2], suffix: m[3] } : undefined;
}

export interface TensorLayout {
  readonly name: string;
  readonly ne: readonly number[];
}

/** Every tensor of a llama/qwen2 model, in file order, with its shape (ne order). */
export function llamaTensorLayout(h: LlamaHParams): TensorLayout[] {
  const hd = headDim(h);
  const q = h.heads * hd;
  const kvDim = h.kvHeads * hd;
  const out: TensorLayout[] = [{ name: TENSOR.tokenEmbd, ne: [h.dim, h.vocabSize] }];
  for (let i = 0; i < h.layers; i++) {
    const shapes: Record<BlockTensor, number[]> = {
      attn_norm: [h.dim],
      attn_q: [h.dim, q],
      attn_k: [h.dim, kvDim],
      attn_v: [h.dim, kvDim],
      attn_output: [q, h.dim],
      ffn_norm: [h.dim],
      ffn_gate: [h.dim, h.ffn],
      ffn_up: [h.dim, h.ffn],
      ffn_down: [h.ffn, h.dim],
    };
    for (const kind of BLOCK_TENSORS) {
      out.push({ name: blockTensorName(i, kind), ne: shapes[kind] });
      if (h.arch === 'qwen2' && (kind === 'attn_q' || kind === 'attn_k' || kind === 'attn_v')) {
        out.push({ name: blockTensorName(i, kind, 'bias'), ne: [shapes[kind][1]] });
      }
    }
  }
  out.push({ name: TENSOR.outputNorm, ne: [h.dim] });
  if (!h.tiedEmbeddings) out.push({ name: TENSOR.output, ne: [h.dim, h.vocabSize] });
  return out;
}

/** Required architecture keys and their exact GGUF types (llama.cpp aborts on a type mismatch). */
export function requiredArchKeys(arch: LlamaArch): Record<string, GgufValueType> {
  return {
    'general.architecture': GgufValueType.STRING,
    [`${arch}.context_length`]: GgufValueType.UINT32,
    [`${arch}.embedding_length`]: GgufValueType.UINT32,
    [`${arch}.block_count`]: GgufValueType.UINT32,
    [`${arch}.feed_forward_length`]: GgufValueType.UINT32,
    [`${arch}.attention.head_count`]: GgufValueType.UINT32,
    [`${arch}.attention.head_count_kv`]: GgufValueType.UINT32,
    [`${arch}.rope.dimension_count`]: GgufValueType.UINT32,
    [`${arch}.attention.layer_norm_rms_epsilon`]: GgufValueType.FLOAT32,
    [`${arch}.rope.freq_base`]: GgufValueType.FLOAT32,
  };
}

/** The architecture metadata for a model, typed exactly as llama.cpp expects. */
export function archMetadata(h: LlamaHParams): GgufMetadata {
  const a = h.arch;
  return new Map([
    ['general.architecture', kv.str(a)],
    [`${a}.vocab_size`, kv.u32(h.vocabSize)],
    [`${a}.context_length`, kv.u32(h.contextLength)],
    [`${a}.embedding_length`, kv.u32(h.dim)],
    [`${a}.block_count`, kv.u32(h.layers)],
    [`${a}.feed_forward_length`, kv.u32(h.ffn)],
    [`${a}.attention.head_count`, kv.u32(h.heads)],
    [`${a}.attention.head_count_kv`, kv.u32(h.kvHeads)],
    [`${a}.rope.dimension_count`, kv.u32(headDim(h))],
    [`${a}.rope.freq_base`, kv.f32(h.ropeFreqBase)],
    [`${a}.attention.layer_norm_rms_epsilon`, kv.f32(h.rmsNormEps)],
  ]);
}

/** ne order (row length first) to row-major shape (PyTorch order), and back: both are a reversal. */
export const neToShape = (ne: readonly number[]): number[] => [...ne].reverse();
export const shapeToNe = (shape: readonly number[]): number[] => [...shape].reverse();
