import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/model/safetensors.ts';
import {
  CHECKPOINT_FILE,
  type CheckpointState,
  loadCheckpointTensors,
  readCheckpointState,
  saveCheckpoint,
} from '../../src/trainer/checkpoint.ts';
import { AdamW } from '../../src/trainer/optimizer.ts';
import { RowStream } from '../../src/trainer/stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'meetara-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function state(stream: RowStream, step: number): CheckpointState {
  return {
    schemaVersion: 1,
    step,
    adamT: step,
    stream: stream.state(),
    plan: { microBatch: 2, gradAccum: 4 },
    tokensSeen: 1234,
    trainSeconds: 5.5,
    settings: { rank: 8, targets: ['q', 'v'] },
  };
}

describe('checkpoints', () => {
  it('round-trip weights, AdamW moments, step, plan and the row stream exactly', async () => {
    const params = [
      { name: 'blk.0.q.lora_a', shape: [4, 2], data: Float32Array.from({ length: 8 }, (_, i) => i / 7) },
      { name: 'blk.0.q.lora_b', shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => -i / 3) },
    ];
    const opt = new AdamW([8, 6]);
    opt.step(
      params.map((p) => p.data),
      [new Float32Array(8).fill(0.5), new Float32Array(6).fill(-0.25)],
      0.01,
    );
    const stream = new RowStream(10, 42);
    stream.next(13); // into the second epoch
    await saveCheckpoint(dir, params, opt, state(stream, 7));

    const back = readCheckpointState(dir);
    expect(back).toEqual(state(stream, 7));
    const copies = params.map((p) => ({ ...p, data: new Float32Array(p.data.length) }));
    const opt2 = new AdamW([8, 6]);
    loadCheckpointTensors(dir, copies, opt2, back.adamT);
    copies.forEach((c, k) => {
      expect(c.data).toEqual(params[k].data);
    });
    expect(opt2.m).toEqual(opt.m);
    expect(opt2.v).toEqual(opt.v);
    expect(opt2.t).toBe(7);
    // The resumed stream yields exactly what the original yields next.
    const resumed = new RowStream(10, 42, back.stream);
    expect(resumed.next(25)).toEqual(stream.next(25));
  });

  it('a write that fails midway leaves the previous checkpoint intact and no temporary file behind', async () => {
    const before = readFileSync(join(dir, CHECKPOINT_FILE));
    const bad = [{ name: 'x', shape: [4], data: new Float32Array(3) }]; // 3 values for a 4-value shape
    await expect(saveCheckpoint(dir, bad, new AdamW([3]), state(new RowStream(3, 1), 9))).rejects.toThrow(
      /expected 16/,
    );
    expect(readFileSync(join(dir, CHECKPOINT_FILE))).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder without a checkpoint, or a file that is not ours, with one clear line', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(() => readCheckpointState(empty)).toThrow(/no checkpoint\.safetensors there \(nothing to resume\)/);
    const foreign = mkdtempSync(join(dir, 'foreign-'));
    await writeSafetensors(join(foreign, CHECKPOINT_FILE), [
      { name: 'w', dtype: 'F32', shape: [1], data: Float32Array.of(1) },
    ]);
    expect(() => readCheckpointState(foreign)).toThrow(/metadata 'meetara\.checkpoint' is missing or invalid/);
    writeFileSync(join(foreign, CHECKPOINT_FILE), 'garbage');
    expect(() => readCheckpointState(foreign)).toThrow(/checkpoint\.safetensors/);
  });
});
