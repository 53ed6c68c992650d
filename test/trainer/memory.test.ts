import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromHParams } from '../../src/model/config.ts';
import { initModel } from '../../src/model/init-model.ts';
import { selectBackend } from '../../src/trainer/backend.ts';
import { GradEngine } from '../../src/trainer/engine.ts';
import type { LoraTarget } from '../../src/trainer/lora.ts';
import { chooseMicroBatch, estimateMemory, GIB, memoryBudget, WASM32_MAX_BYTES } from '../../src/trainer/memory.ts';
import { Rng } from '../../src/util/random.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('meetara-mem-');

/**
 * Live tfjs bytes, counted per data buffer from the engine's own registry (the one tf.memory() reads): every buffer
 * is registered once in state.tensorInfo when created and removed when freed. tf.memory().numBytes itself adds a
 * buffer again for each view (reshape, clone) of it, so it overstates what is really allocated.
 */
function trackLiveBytes() {
  const info = (tf.engine() as unknown as { state: { tensorInfo: Map<object, { bytes: number }> } }).state.tensorInfo;
  const tracker = { live: 0, peak: 0 };
  const set = info.set.bind(info);
  const del = info.delete.bind(info);
  info.set = (k, v) => {
    tracker.live += v.bytes;
    tracker.peak = Math.max(tracker.peak, tracker.live);
    return set(k, v);
  };
  info.delete = (k) => {
    tracker.live -= info.get(k)?.bytes ?? 0;
    return del(k);
  };
  return tracker;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

const CONFIGS = [
  {
    h: { vocabSize: 1024, dim: 128, layers: 3, heads: 4, kvHeads: 2, ffn: 320 },
    seqLen: 96,
    rows: 3,
    rank: 8,
    targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as LoraTarget[],
  },
  {
    h: { vocabSize: 768, dim: 96, layers: 2, heads: 6, kvHeads: 3, ffn: 256 },
    seqLen: 128,
    rows: 2,
    rank: 4,
    targets: ['q', 'v'] as LoraTarget[],
  },
];

describe('memory model', () => {
  for (const [i, c] of CONFIGS.entries()) {
    it(`estimates the bytes tfjs holds at the peak of a training step within ±25% (config ${i + 1})`, async () => {
      const path = join(dir, `m${i}.gguf`);
      const hp = await initModel(path, { arch: 'llama', contextLength: 256, seed: i, ...c.h });
      const tracker = trackLiveBytes();
      const before = tracker.live;
      tracker.peak = before;
      const engine = await GradEngine.create({
        base: path,
        full: false,
        rank: c.rank,
        alpha: 16,
        targets: c.targets,
        seed: 1,
      });
      const rng = new Rng(i);
      const n = c.rows * c.seqLen;
      engine.grads({
        rows: c.rows,
        seqLen: c.seqLen,
        tokens: Int32Array.from({ length: n }, () => rng.int(c.h.vocabSize)),
        labels: Int32Array.from({ length: n }, () => rng.int(c.h.vocabSize)),
        segments: new Int32Array(n).fill(1),
        lossTokens: n,
      });
      const measured = tracker.peak - before;
      engine.dispose();
      const estimate = estimateMemory({
        config: configFromHParams(hp),
        seqLen: c.seqLen,
        microBatch: c.rows,
        full: false,
        rank: c.rank,
        targets: c.targets,
      });
      const ratio = estimate.deviceBytes / measured;
      expect(ratio).toBeGreaterThan(0.75);
      expect(ratio).toBeLessThan(1.25);
    });
  }
});

describe('batch sizing', () => {
  const config = configFromHParams({
    arch: 'llama',
    vocabSize: 49152,
    dim: 576,
    layers: 30,
    heads: 9,
    kvHeads: 3,
    ffn: 1536,
    contextLength: 2048,
    ropeFreqBase: 10000,
    rmsNormEps: 1e-5,
    tiedEmbeddings: true,
  });
  const input = { config, seqLen: 256, full: false, rank: 8, targets: ['q', 'k', 'v', 'o'] as LoraTarget[] };

  it('takes the largest micro-batch that fits in 85% of the budget and keeps the effective batch with accumulation', () => {
    const t4 = {
      index: 0,
      name: 'Tesla T4',
      memoryTotalBytes: 15 * GIB,
      memoryFreeBytes: 14 * GIB,
      memoryUsedBytes: GIB,
      utilizationPercent: 0,
      driverVersion: '535',
    };
    const budget = memoryBudget({ backend: 'tensorflow', gpu: t4, freeMemBytes: 12 * GIB, workers: 1 });
    const d = chooseMicroBatch(input, budget, 16, 1, true);
    const next = estimateMemory({ ...input, microBatch: d.microBatch + 1 });
    expect(d.estimate.deviceBytes).toBeLessThanOrEqual(0.85 * 14 * GIB);
    expect(next.deviceBytes).toBeGreaterThan(0.85 * 14 * GIB);
    expect(d.microBatch * d.gradAccum).toBeGreaterThanOrEqual(16);
    expect(d.microBatch * (d.gradAccum - 1)).toBeLessThan(16);
    expect(d.message).toContain('Tesla T4');
    expect(d.message).toContain('85%');
  });

  it('on wasm the 4 GiB heap ceiling caps the budget, shared memory is split between workers', () => {
    expect(memoryBudget({ backend: 'wasm', freeMemBytes: 20 * GIB, workers: 1 }).deviceBytes).toBe(WASM32_MAX_BYTES);
    expect(memoryBudget({ backend: 'wasm', freeMemBytes: 6 * GIB, workers: 2 }).deviceBytes).toBe(3 * GIB);
    expect(memoryBudget({ backend: 'cpu', freeMemBytes: 6 * GIB, workers: 3 }).deviceBytes).toBe(2 * GIB);
  });

  it('says so when even one row does not fit', () => {
    const budget = memoryBudget({ backend: 'wasm', freeMemBytes: 0.5 * GIB, workers: 1 });
    const d = chooseMicroBatch({ ...input, seqLen: 2048 }, budget, 16, 1, false);
    expect(d.fits).toBe(false);
    expect(d.microBatch).toBe(1);
    expect(d.message).toMatch(/lower --seq-len/);
  });
});
