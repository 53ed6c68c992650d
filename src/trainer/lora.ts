// LoRA parameters: for each adapted projection y = W·x, a pair (A, B) with y = W·x + s·B(A·x), s = alpha / rank
// (llama.cpp's scale; s = 1 when alpha is 0). Held as tfjs variables in the same x·W layout as the base weights:
// a [n_in, r] and b [r, n_out], i.e. PEFT's lora_A (r × n_in) and lora_B (n_out × r) transposed.

import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors.ts';
import type { BlockTensor } from '../gguf/llama.ts';
import type { ModelConfig } from '../model/config.ts';
import { Rng } from '../util/random.ts';
import { linear } from './ops.ts';

export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** The GGUF tensor kind each target adapts. */
export const LORA_TARGET_TENSOR: Readonly<Record<LoraTarget, BlockTensor>> = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_output',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
};

export interface LoraPair {
  /** [n_in, r] */
  readonly a: tf.Variable<tf.Rank.R2>;
  /** [r, n_out] */
  readonly b: tf.Variable<tf.Rank.R2>;
}

export type LoraLayer = Partial<Record<LoraTarget, LoraPair>>;

export interface LoraParams {
  readonly rank: number;
  readonly alpha: number;
  readonly targets: readonly LoraTarget[];
  /** One entry per model layer. */
  readonly layers: readonly LoraLayer[];
}

/** llama.cpp's scale for an adapter loaded at scale 1 (llama_adapter_lora_weight::get_scale). */
export const loraScale = (lora: Pick<LoraParams, 'rank' | 'alpha'>): number =>
  lora.alpha ? lora.alpha / lora.rank : 1;

/** Where one LoRA pair sits and its size: all the export layouts depend on, without the values. */
export interface LoraSlot {
  readonly layer: number;
  readonly target: LoraTarget;
  readonly nIn: number;
  readonly nOut: number;
}

/** The pairs a LoRA over `targets` has, in the order every export writes them: by layer, then LORA_TARGETS order. */
export function loraSlots(config: ModelConfig, targets: readonly LoraTarget[]): LoraSlot[] {
  return Array.from({ length: config.layers }, (_, layer) =>
    LORA_TARGETS.filter((t) => targets.includes(t)).map((target) => {
      const [nIn, nOut] = projectionDims(config, target);
      return { layer, target, nIn, nOut };
    }),
  ).flat();
}

/** [n_in, n_out] of the projection a target adapts. */
export function projectionDims(config: ModelConfig, target: LoraTarget): [number, number] {
  const q = config.heads * config.headDim;
  const kv = config.kvHeads * config.headDim;
  const dims: Record<LoraTarget, [number, number]> = {
    q: [config.dim, q],
    k: [config.dim, kv],
    v: [config.dim, kv],
    o: [q, config.dim],
    gate: [config.dim, config.ffn],
    up: [config.dim, config.ffn],
    down: [config.ffn, config.dim],
  };
  return dims[target];
}

/** Parses `q,k,v,o,gate,up,down` (the --targets option). */
export function parseLoraTargets(csv: string): LoraTarget[] {
  const targets = csv
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of targets) {
    if (!(LORA_TARGETS as readonly string[]).includes(t)) {
      throw new InputError(`--targets: unknown target '${t}' (choose from ${LORA_TARGETS.join(',')})`);
    }
  }
  if (targets.length === 0) throw new InputError(`--targets is empty (choose from ${LORA_TARGETS.join(',')})`);
  return [...new Set(targets)] as LoraTarget[];
}

export interface CreateLoraOptions {
  readonly rank: number;
  readonly alpha: number;
  readonly targets?: readonly LoraTarget[];
  readonly seed?: number;
  /** Standard deviation of B's initial values; 0 (the default, as in PEFT) starts the adapter as a no-op. */
  readonly stdB?: number;
}

/**
 * Fresh LoRA parameters. A follows PEFT's default, kaiming-uniform U(−1/√n_in, 1/√n_in); B starts at zero unless
 * stdB is given. Values come from a seeded Rng in a fixed order (layer, target, A then B), so runs reproduce.
 */
export function createLora(config: ModelConfig, o: CreateLoraOptions): LoraParams {
  if (!Number.isInteger(o.rank) || o.rank <= 0)
    throw new InputError(`--rank must be a positive integer, got ${o.rank}`);
  const targets = o.targets ?? LORA_TARGETS;
  const rng = new Rng(o.seed ?? 0);
  const layers: LoraLayer[] = [];
  for (let i = 0; i < config.layers; i++) {
    const layer: LoraLayer = {};
    for (const target of targets) {
      const [nIn, nOut] = projectionDims(config, target);
      const bound = 1 / Math.sqrt(nIn);
      const a = Float32Array.from({ length: nIn * o.rank }, () => (2 * rng.uniform() - 1) * bound);
      const b = Float32Array.from({ length: o.rank * nOut }, () => (o.stdB ? rng.normal() * o.stdB : 0));
      layer[target] = { a: variable2d(a, [nIn, o.rank]), b: variable2d(b, [o.rank, nOut]) };
    }
    layers.push(layer);
  }
  return { rank: o.rank, alpha: o.alpha, targets: [...targets], layers };
}

/** A trainable variable holding `values` (tidy frees the staging tensor; the variable keeps the data). */
export const variable2d = (values: Float32Array, shape: [number, number]): tf.Variable<tf.Rank.R2> =>
  tf.tidy(() => tf.variable(tf.tensor2d(values, shape), true));

/** x [n, n_in] -> s·B(A·x) [n, n_out]. */
export function loraDelta(x: tf.Tensor2D, pair: LoraPair, scale: number): tf.Tensor2D {
  return tf.mul(linear(linear(x, pair.a), pair.b), scale);
}

/** Every LoRA variable, in a fixed order (layer, target, A then B). */
export function loraVariables(lora: LoraParams): tf.Variable[] {
  return lora.layers.flatMap((layer) => LORA_TARGETS.flatMap((t) => (layer[t] ? [layer[t].a, layer[t].b] : [])));
}

export function disposeLora(lora: LoraParams): void {
  for (const v of loraVariables(lora)) v.dispose();
}
