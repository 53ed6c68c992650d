// Learning-rate schedules: linear warmup over the first `warmup` fraction of steps, then cosine or linear decay
// to zero, or a constant rate. Steps are 0-based; the rate for step s is the one its update uses.

export const SCHEDULES = ['cosine', 'linear', 'constant'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

export interface Schedule {
  readonly kind: ScheduleKind;
  /** Peak learning rate. */
  readonly lr: number;
  /** Fraction of total steps spent warming up, in [0, 1). */
  readonly warmup: number;
  readonly totalSteps: number;
}

/** Steps of linear warmup (at least 1 when warmup > 0, so the first update is never at full rate). */
export function warmupSteps(s: Schedule): number {
  return s.warmup > 0 ? Math.max(1, Math.ceil(s.warmup * s.totalSteps)) : 0;
}

export function learningRate(s: Schedule, step: number): number {
  const w = warmupSteps(s);
  if (step < w) return (s.lr * (step + 1)) / w;
  if (s.kind === 'constant') return s.lr;
  const progress = (step - w) / Math.max(1, s.totalSteps - w);
  const p = Math.min(1, Math.max(0, progress));
  return s.kind === 'cosine' ? s.lr * 0.5 * (1 + Math.cos(Math.PI * p)) : s.lr * (1 - p);
}
