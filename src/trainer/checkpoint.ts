// Checkpoints: one safetensors file, written atomically (temp file, fsync, rename), holding the trainable
// weights, AdamW's moments, and in its metadata the step, Adam's t, the row stream (epoch, position, order,
// RNG state), the accumulation plan and the run's settings. Resuming from it reproduces the uninterrupted run
// bit for bit: same rows, same random numbers, same optimizer state.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { SafetensorsFile, writeSafetensors } from '../model/safetensors.ts';
import type { AdamW } from './optimizer.ts';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const METADATA_KEY = 'meetara.checkpoint';

export const CheckpointState = z.object({
  schemaVersion: z.literal(1),
  /** Optimizer steps completed. */
  step: z.number().int().nonnegative(),
  adamT: z.number().int().nonnegative(),
  stream: z.object({
    epoch: z.number().int().nonnegative(),
    position: z.number().int().nonnegative(),
    order: z.array(z.number().int().nonnegative()),
    rng: z.array(z.number().int()).length(4),
  }),
  plan: z.object({ microBatch: z.number().int().positive(), gradAccum: z.number().int().positive() }),
  /** Training tokens and wall seconds so far, so tokens/s and totals span interruptions. */
  tokensSeen: z.number().int().nonnegative(),
  trainSeconds: z.number().nonnegative(),
  /** The settings that define the run; a resume must agree with them. */
  settings: z.record(z.string(), z.unknown()),
});
export type CheckpointState = z.infer<typeof CheckpointState>;

export interface NamedParam {
  readonly name: string;
  /** Row-major shape. */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export async function saveCheckpoint(
  dir: string,
  params: readonly NamedParam[],
  opt: AdamW,
  state: CheckpointState,
): Promise<void> {
  const tensors = params.flatMap((p, k) => [
    { name: `param.${p.name}`, dtype: 'F32' as const, shape: p.shape, data: p.data },
    { name: `adam_m.${p.name}`, dtype: 'F32' as const, shape: p.shape, data: opt.m[k] },
    { name: `adam_v.${p.name}`, dtype: 'F32' as const, shape: p.shape, data: opt.v[k] },
  ]);
  await writeSafetensors(join(dir, CHECKPOINT_FILE), tensors, { [METADATA_KEY]: JSON.stringify(state) });
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE));
}

export function readCheckpointState(dir: string): CheckpointState {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new InputError(`--resume ${dir}: no ${CHECKPOINT_FILE} there (nothing to resume)`);
  const f = SafetensorsFile.open(path);
  try {
    const raw = f.metadata[METADATA_KEY];
    let json: unknown;
    try {
      json = JSON.parse(raw ?? 'null');
    } catch {
      json = null;
    }
    const parsed = CheckpointState.safeParse(json);
    if (!parsed.success) {
      throw new InputError(`${path}: metadata '${METADATA_KEY}' is missing or invalid (not a meetara checkpoint?)`);
    }
    return parsed.data;
  } finally {
    f.close();
  }
}

/** Copies the checkpoint's weights and moments into `params` and `opt` (which must have the same layout). */
export function loadCheckpointTensors(dir: string, params: readonly NamedParam[], opt: AdamW, adamT: number): void {
  const path = join(dir, CHECKPOINT_FILE);
  const f = SafetensorsFile.open(path);
  try {
    const read = (name: string, into: Float32Array) => {
      if (!f.has(name))
        throw new InputError(`${path}: tensor '${name}' is missing (was the run's --targets or --rank changed?)`);
      const bytes = f.readBytes(name);
      if (bytes.byteLength !== into.byteLength) {
        throw new InputError(`${path}: tensor '${name}' has ${bytes.byteLength / 4} values, expected ${into.length}`);
      }
      into.set(new Float32Array(bytes.buffer, bytes.byteOffset, into.length));
    };
    params.forEach((p, k) => {
      read(`param.${p.name}`, p.data);
      read(`adam_m.${p.name}`, opt.m[k]);
      read(`adam_v.${p.name}`, opt.v[k]);
    });
    opt.t = adamT;
  } finally {
    f.close();
  }
}
