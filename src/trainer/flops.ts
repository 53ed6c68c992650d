// Floating-point work of one training step, counted from the shapes the kernels actually run, so achieved
// GFLOP/s = flops / measured seconds. A matMul [m, k]·[k, n] is 2·m·k·n flops; elementwise work is ignored
// (it is memory-bound and small next to the products).
//
// Per token, forward: every projection W (2·n_in·n_out), LoRA branches (2·r·(n_in + n_out) each), attention
// scores and mixing over the full T×T tile the forward computes (4·T·hd per head), and the LM head. Backward: the
// input gradient of everything (the same again), plus weight gradients only for what trains: LoRA factors, or
// every weight under --full.

import type { ModelConfig } from '../model/config.ts';
import { type LoraTarget, projectionDims } from './lora.ts';

export interface FlopsInput {
  readonly config: ModelConfig;
  readonly seqLen: number;
  readonly full: boolean;
  readonly rank: number;
  readonly targets: readonly LoraTarget[];
}

const ALL: readonly LoraTarget[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];

/** Flops to train on one row of `seqLen` positions (forward + backward). */
export function trainingFlopsPerRow(f: FlopsInput): number {
  const c = f.config;
  const T = f.seqLen;
  let projections = 0;
  let lora = 0;
  for (const t of ALL) {
    const [nIn, nOut] = projectionDims(c, t);
    projections += 2 * nIn * nOut;
    if (!f.full && f.targets.includes(t)) lora += 2 * f.rank * (nIn + nOut);
  }
  const attention = 4 * T * c.headDim * c.heads; // QKᵀ and P·V per token
  const head = 2 * c.dim * c.vocabSize;
  const forwardPerToken = c.layers * (projections + lora + attention) + head;
  // Backward: input gradients (same as forward) + weight gradients of what trains.
  const weightGrads = f.full ? c.layers * projections + head : c.layers * lora;
  return T * (2 * forwardPerToken + weightGrads);
}

/** Flops of the forward pass only, per row (held-out evaluation). */
export function forwardFlopsPerRow(f: FlopsInput): number {
  const c = f.config;
  let per = 0;
  for (const t of ALL) {
    const [nIn, nOut] = projectionDims(c, t);
    per += 2 * nIn * nOut + (!f.full && f.targets.includes(t) ? 2 * f.rank * (nIn + nOut) : 0);
  }
  return f.seqLen * (c.layers * (per + 4 * f.seqLen * c.headDim * c.heads) + 2 * c.dim * c.vocabSize);
}
