import { describe, expect, it } from 'vitest';
import { learningRate, warmupSteps } from '../../src/trainer/schedule.ts';

describe('learning-rate schedules', () => {
  const base = { lr: 1e-3, warmup: 0.1, totalSteps: 100 };

  it('warms up linearly over the warmup fraction, reaching the peak at its last step', () => {
    const s = { ...base, kind: 'cosine' as const };
    expect(warmupSteps(s)).toBe(10);
    expect(learningRate(s, 0)).toBeCloseTo(1e-4, 12);
    expect(learningRate(s, 4)).toBeCloseTo(5e-4, 12);
    expect(learningRate(s, 9)).toBeCloseTo(1e-3, 12);
  });

  it('cosine decays from the peak to half at the midpoint of the decay and towards zero at the end', () => {
    const s = { ...base, kind: 'cosine' as const };
    expect(learningRate(s, 10)).toBeCloseTo(1e-3, 12);
    expect(learningRate(s, 55)).toBeCloseTo(5e-4, 12);
    expect(learningRate(s, 99)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos((Math.PI * 89) / 90)), 15);
    for (let i = 11; i < 100; i++) expect(learningRate(s, i)).toBeLessThan(learningRate(s, i - 1));
  });

  it('linear decays in equal steps; constant stays at the peak after warmup', () => {
    const lin = { ...base, kind: 'linear' as const };
    expect(learningRate(lin, 10) - learningRate(lin, 11)).toBeCloseTo(1e-3 / 90, 15);
    expect(learningRate(lin, 55)).toBeCloseTo(5e-4, 12);
    const c = { ...base, kind: 'constant' as const };
    expect(learningRate(c, 50)).toBe(1e-3);
    expect(learningRate(c, 99)).toBe(1e-3);
  });

  it('no warmup starts at the peak; any positive warmup takes at least one step', () => {
    expect(learningRate({ ...base, warmup: 0, kind: 'cosine' }, 0)).toBe(1e-3);
    expect(warmupSteps({ ...base, warmup: 0.001, kind: 'cosine' })).toBe(1);
  });
});
