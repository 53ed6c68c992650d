// The memory model behind automatic batch sizing. For a micro-batch of b rows of T tokens it estimates the bytes
// training holds at its peak, from the model config, LoRA rank and backend:
//   weights       every base weight as f32 tensors
//   trainable     LoRA factors (or, with --full, the weights again as trainable variables' gradients)
//   optimizer     AdamW's two moments plus the f32 master copy and the gradient sum, in JavaScript arrays
//   activations   what the tfjs tape holds at the end of backward, per layer and token (below)
//   logits        the [b·T, vocab] buffers of the LM head and the loss
// and compares it with what is available: GPU free memory from nvidia-smi, os.freemem(), and the 4 GiB ceiling of
// a wasm32 heap. The largest micro-batch that fits in 85% of that wins.
//
// Activations: tfjs keeps every tensor the forward pass saves for backward, and every gradient it computes, until
// the whole backward pass ends (tape.ts disposes nothing earlier), so the peak comes at the end of backward and grows
// linearly with tokens. Per layer and token it holds f32 values linear in dim, ffn, kv width, heads·T (the attention
// tiles) and, per LoRA target, its input width and rank; per token, a few [vocab] rows (logits, the loss's saved
// buffers and its gradient). The
// coefficients were measured on the wasm backend: a least-squares fit of tfjs's own per-buffer accounting at the peak
// over thirteen small configurations (vocab 512-2048, dim 64-128, 2-4 layers, 4-8 heads, 2-4 kv heads, ffn 128-512,
// T 64-128, rank 8-32, one to seven targets), each of which it then matches within 7%. A change to the forward pass
// can move them; --full is not fitted (its weight gradients are counted under trainable). test/trainer/memory.test.ts checks two other configurations
// within ±25%. They describe this project's forward pass (ops.ts, rope.ts, forward.ts, loss.ts) on the wasm and cpu
// backends; the tensorflow backend runs stock kernels and is not measured here.

import { llamaTensorLayout } from '../gguf/llama.ts';
import type { ModelConfig } from '../model/config.ts';
import type { GpuInfo } from './gpu.ts';
import { type LoraTarget, projectionDims } from './lora.ts';

const F32 = 4;
export const GIB = 1024 ** 3;
/** A wasm32 heap cannot grow past 4 GiB. */
export const WASM32_MAX_BYTES = 4 * GIB;
/** Fraction of the available memory a micro-batch may plan to use. */
export const MEMORY_HEADROOM = 0.85;

/** f32 values held per token and layer, as multiples of each dimension (see the file comment). */
export const ACTIVATION_COEFFICIENTS = {
  dim: 44.0,
  ffn: 15.8,
  kvDim: 31.0,
  headsTimesSeq: 9.1,
  /** Per LoRA target: its input width (each branch keeps x and its gradient) and its rank. */
  loraInput: 9.1,
  rankPerTarget: 5.4,
  /** Per token, once: logits, the loss's saved buffers and its gradient at the peak. */
  vocab: 6.85,
};

export interface MemoryInput {
  readonly config: ModelConfig;
  readonly seqLen: number;
  readonly microBatch: number;
  readonly full: boolean;
  readonly rank: number;
  readonly targets: readonly LoraTarget[];
}

export interface MemoryEstimate {
  readonly weightsBytes: number;
  readonly trainableBytes: number;
  readonly optimizerBytes: number;
  readonly activationBytes: number;
  readonly logitsBytes: number;
  /** Held by tfjs (weights, trainable variables, activations, logits): on the GPU, or in the wasm heap. */
  readonly deviceBytes: number;
  /** Held in JavaScript arrays (master copy, AdamW moments, gradient sum). */
  readonly hostBytes: number;
  readonly totalBytes: number;
}

export function parameterCount(config: ModelConfig): number {
  return llamaTensorLayout(config).reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
}

export function trainableCount(
  config: ModelConfig,
  full: boolean,
  rank: number,
  targets: readonly LoraTarget[],
): number {
  if (full) return parameterCount(config);
  return config.layers * targets.reduce((s, t) => s + rank * projectionDims(config, t).reduce((a, b) => a + b), 0);
}

export function estimateMemory(m: MemoryInput): MemoryEstimate {
  const c = m.config;
  const k = ACTIVATION_COEFFICIENTS;
  const tokens = m.microBatch * m.seqLen;
  const trainable = trainableCount(c, m.full, m.rank, m.targets);
  const weightsBytes = parameterCount(c) * F32;
  // Full fine-tuning: the weights are the variables (counted once above) and their gradients land beside them.
  const trainableBytes = trainable * F32;
  const optimizerBytes = 4 * trainable * F32; // master copy, gradient sum, AdamW m and v
  const loraPerLayer = m.full
    ? 0
    : m.targets.reduce((sum, t) => sum + k.loraInput * projectionDims(c, t)[0] + k.rankPerTarget * m.rank, 0);
  const perLayerToken =
    k.dim * c.dim +
    k.ffn * c.ffn +
    k.kvDim * c.kvHeads * c.headDim +
    k.headsTimesSeq * c.heads * m.seqLen +
    loraPerLayer;
  const activationBytes = tokens * c.layers * perLayerToken * F32;
  const logitsBytes = tokens * k.vocab * c.vocabSize * F32;
  const deviceBytes = weightsBytes + trainableBytes + activationBytes + logitsBytes;
  const hostBytes = optimizerBytes;
  return {
    weightsBytes,
    trainableBytes,
    optimizerBytes,
    activationBytes,
    logitsBytes,
    deviceBytes,
    hostBytes,
    totalBytes: deviceBytes + hostBytes,
  };
}

export interface MemoryBudget {
  /** Bytes tfjs tensors may use (GPU free memory, the wasm heap ceiling, or host memory). */
  readonly deviceBytes: number;
  /** Host memory free for everything that lives in this process. */
  readonly hostBytes: number;
  /** Where the numbers came from, for the log. */
  readonly source: string;
}

export interface BudgetInput {
  readonly backend: string;
  /** The GPU training runs on (nvidia-smi), when it does. */
  readonly gpu?: GpuInfo;
  /** os.freemem() */
  readonly freeMemBytes: number;
  /** Data-parallel workers, each holding its own model replica and micro-batch. */
  readonly workers: number;
}

/** Bytes as whole MiB, for the batch-size messages. */
export const formatMiB = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;

export function memoryBudget(b: BudgetInput): MemoryBudget {
  const host = b.freeMemBytes / b.workers;
  if (b.gpu) {
    return {
      deviceBytes: b.gpu.memoryFreeBytes,
      hostBytes: host,
      source: `${b.gpu.name}: ${formatMiB(b.gpu.memoryFreeBytes)} free of ${formatMiB(b.gpu.memoryTotalBytes)} (nvidia-smi)`,
    };
  }
  const perWorker = b.workers > 1 ? ` / ${b.workers} workers` : '';
  if (b.backend === 'wasm') {
    return {
      deviceBytes: Math.min(WASM32_MAX_BYTES, host),
      hostBytes: host,
      source: `wasm32 heap ceiling ${formatMiB(WASM32_MAX_BYTES)}, os.freemem() ${formatMiB(b.freeMemBytes)}${perWorker}`,
    };
  }
  return { deviceBytes: host, hostBytes: host, source: `os.freemem() ${formatMiB(b.freeMemBytes)}${perWorker}` };
}

export interface BatchDecision {
  readonly microBatch: number;
  readonly gradAccum: number;
  /** The estimate for the chosen micro-batch. */
  readonly estimate: MemoryEstimate;
  /** False when even one row is estimated not to fit (training still tries; OOM recovery cannot go lower). */
  readonly fits: boolean;
  /** One line: the decision and its inputs. */
  readonly message: string;
}

/** Whether a micro-batch's estimate fits the budget with headroom. */
export function fitsBudget(e: MemoryEstimate, b: MemoryBudget, gpu: boolean): boolean {
  const device = e.deviceBytes <= MEMORY_HEADROOM * b.deviceBytes;
  const host = (gpu ? e.hostBytes : e.totalBytes) <= MEMORY_HEADROOM * b.hostBytes;
  return device && host;
}

/**
 * The largest micro-batch (rows per worker per pass) that fits, and the accumulation that keeps the effective
 * batch: `rows` rows per optimizer step, split over `workers`.
 */
export function chooseMicroBatch(
  input: Omit<MemoryInput, 'microBatch'>,
  budget: MemoryBudget,
  rows: number,
  workers: number,
  gpu: boolean,
): BatchDecision {
  const perWorker = Math.ceil(rows / workers);
  let micro = 1;
  for (let b = perWorker; b >= 1; b--) {
    if (fitsBudget(estimateMemory({ ...input, microBatch: b }), budget, gpu)) {
      micro = b;
      break;
    }
  }
  const estimate = estimateMemory({ ...input, microBatch: micro });
  const fits = fitsBudget(estimate, budget, gpu);
  const gradAccum = Math.ceil(rows / (micro * workers));
  const message =
    `batch: micro-batch ${micro} × ${gradAccum} accumulation${workers > 1 ? ` × ${workers} workers` : ''} = ${rows} rows of ${input.seqLen} tokens per step; ` +
    `estimate ${formatMiB(estimate.totalBytes)} (weights ${formatMiB(estimate.weightsBytes)}, trainable ${formatMiB(estimate.trainableBytes)}, optimizer ${formatMiB(estimate.optimizerBytes)}, activations ${formatMiB(estimate.activationBytes)}, logits ${formatMiB(estimate.logitsBytes)}) ` +
    `against ${Math.round(MEMORY_HEADROOM * 100)}% of ${budget.source}${fits ? '' : ' — even one row may not fit; lower --seq-len'}`;
  return { microBatch: micro, gradAccum, estimate, fits, message };
}
