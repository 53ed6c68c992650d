import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { parseNvidiaSmi } from '../../src/trainer/gpu.ts';
import {
  buildCostReport,
  CostReportSchema,
  checkBudget,
  costOf,
  formatUsd,
  type PhaseTime,
  RUNS_PER_MONTH,
} from '../../src/trinity/cost.ts';
import { CPU_NOTE, matchGpu } from '../../src/trinity/gpu-catalog.ts';

// Faked nvidia-smi output lines (the query src/trainer/gpu.ts runs) for a T4, an A100 80GB and an unknown GPU.
const T4 = matchGpu(parseNvidiaSmi('0, Tesla T4, 15360, 15101, 0, 0, 535.104.05')[0]);
const A100_80 = matchGpu(parseNvidiaSmi('0, NVIDIA A100-SXM4-80GB, 81920, 80105, 1815, 37, 550.54.15')[0]);
const UNKNOWN_LINE = '0, NVIDIA Foo 24GB, 24564, 24000, 564, [N/A], 560.28.03';
const CPU = matchGpu(undefined);

// Every expected figure below is worked out by hand from seconds × $/h ÷ 3600, in the comment beside it.
const DIGITS = 12;

describe('costOf', () => {
  it('is seconds × dollars per hour ÷ 3600', () => {
    expect(costOf(1800, 0.35)).toBeCloseTo(0.175, DIGITS); // half an hour of T4
    expect(costOf(3600, 3.67)).toBeCloseTo(3.67, DIGITS); // one hour of A100 40GB
    expect(costOf(90, 2.48)).toBeCloseTo(0.062, DIGITS); // 2.48 × 90 / 3600 = 223.2 / 3600
    expect(costOf(5400, 5.07)).toBeCloseTo(7.605, DIGITS); // 1.5 h × 5.07
    expect(costOf(12345, 0)).toBe(0);
  });

  it('refuses negative or non-finite inputs', () => {
    expect(() => costOf(-1, 0.35)).toThrow(RangeError);
    expect(() => costOf(60, Number.NaN)).toThrow(/usdPerHour must be a non-negative finite number/);
  });
});

describe('buildCostReport', () => {
  const t4Phases: PhaseTime[] = [
    { domain: 'healthcare', phase: 'generate', seconds: 120 },
    { domain: 'healthcare', phase: 'train', seconds: 1800 },
    { domain: 'education', phase: 'train', seconds: 3600 },
    { phase: 'package', seconds: 60 },
    { domain: 'healthcare', phase: 'train', seconds: 600 }, // a resumed run adds to the same phase
  ];

  it('T4, weekly: per phase, per domain, overhead, total and the monthly projection', () => {
    const r = buildCostReport({ device: T4, phases: t4Phases, schedule: 'weekly' });
    expect(r).toMatchObject({ schemaVersion: 1, device: 'gpu', name: 'Tesla T4', catalogId: 't4', usdPerHour: 0.35 });
    expect(r.priceSource).toMatch(/original MeeTARA guide/);
    expect(r.note).toBeNull();
    expect(Object.keys(r.domains)).toEqual(['healthcare', 'education']);
    const hc = r.domains.healthcare;
    expect(hc.seconds).toBe(2520); // 120 + 1800 + 600
    expect(hc.usd).toBeCloseTo(0.245, DIGITS); // 2520 × 0.35 / 3600 = 882 / 3600
    expect(hc.phases.generate.usd).toBeCloseTo(42 / 3600, DIGITS); // 120 × 0.35 = 42
    expect(hc.phases.train).toEqual({ seconds: 2400, usd: expect.closeTo(840 / 3600, DIGITS) }); // 2400 × 0.35 = 840
    expect(r.domains.education.usd).toBeCloseTo(0.35, DIGITS); // one hour
    expect(r.overhead.seconds).toBe(60);
    expect(r.overhead.phases.package.usd).toBeCloseTo(21 / 3600, DIGITS); // 60 × 0.35 = 21
    expect(r.totalSeconds).toBe(6180);
    expect(r.totalUsd).toBeCloseTo(2163 / 3600, DIGITS); // 6180 × 0.35 = 2163, i.e. $0.600833…
    expect(r.schedule).toBe('weekly');
    expect(r.runsPerMonth).toBeCloseTo(52 / 12, DIGITS);
    expect(r.projectedMonthlyUsd).toBeCloseTo((2163 * 52) / (3600 * 12), DIGITS); // $2.603611…
    expect(r.projection).toMatch(/52\/12 runs a month.*not measured/);
  });

  it('A100 80GB, daily and monthly schedules', () => {
    const phases = [{ domain: 'business', phase: 'train', seconds: 5400 }];
    const daily = buildCostReport({ device: A100_80, phases, schedule: 'daily' });
    expect(daily.totalUsd).toBeCloseTo(7.605, DIGITS); // 1.5 h × $5.07
    expect(daily.projectedMonthlyUsd).toBeCloseTo(231.31875, DIGITS); // 7.605 × 365 / 12 = 2775.825 / 12
    const monthly = buildCostReport({ device: A100_80, phases, schedule: 'monthly' });
    expect(monthly.projectedMonthlyUsd).toBeCloseTo(7.605, DIGITS);
    expect(RUNS_PER_MONTH).toEqual({ weekly: 52 / 12, daily: 365 / 12, monthly: 1 });
  });

  it('an unknown GPU costs $0 with its note, or what --gpu-price says', () => {
    const phases = [{ domain: 'legal', phase: 'train', seconds: 7200 }];
    const gpu = parseNvidiaSmi(UNKNOWN_LINE)[0];
    const free = buildCostReport({ device: matchGpu(gpu), phases, schedule: 'monthly' });
    expect(free).toMatchObject({ catalogId: null, usdPerHour: 0, totalSeconds: 7200, totalUsd: 0 });
    expect(free.note).toMatch(/not in the GPU catalog/);
    const priced = buildCostReport({ device: matchGpu(gpu, 1.5), phases, schedule: 'weekly' });
    expect(priced.totalUsd).toBeCloseTo(3, DIGITS); // 2 h × $1.50
    expect(priced.projectedMonthlyUsd).toBeCloseTo(13, DIGITS); // 3 × 52 / 12 = 156 / 12
    expect(priced.priceSource).toBe('--gpu-price $1.5/h');
  });

  it('a CPU run: time is measured, cost is 0, and the report says why', () => {
    const r = buildCostReport({ device: CPU, phases: t4Phases, schedule: 'daily' });
    expect(r).toMatchObject({ device: 'cpu', name: 'CPU', usdPerHour: 0, totalSeconds: 6180, totalUsd: 0 });
    expect(r.projectedMonthlyUsd).toBe(0);
    expect(r.note).toBe(CPU_NOTE);
    expect(r.domains.healthcare).toMatchObject({ seconds: 2520, usd: 0 });
    expect(() => buildCostReport({ device: { ...CPU, usdPerHour: 1 }, phases: [], schedule: 'daily' })).toThrow(
      /CPU run costs \$0\/h/,
    );
  });

  it('parts add up to the total, and the JSON round-trips through CostReportSchema', () => {
    const r = buildCostReport({ device: T4, phases: t4Phases, schedule: 'weekly' });
    const groups = [...Object.values(r.domains), r.overhead];
    expect(groups.reduce((s, g) => s + g.usd, 0)).toBeCloseTo(r.totalUsd, DIGITS);
    for (const g of groups) {
      expect(Object.values(g.phases).reduce((s, p) => s + p.seconds, 0)).toBe(g.seconds);
    }
    expect(CostReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(CostReportSchema.safeParse({ ...r, schemaVersion: 2 }).success).toBe(false);
    expect(CostReportSchema.safeParse({ ...r, totalUsd: -1 }).success).toBe(false);
  });

  it('refuses a negative phase time, naming it', () => {
    expect(() =>
      buildCostReport({ device: T4, phases: [{ domain: 'x', phase: 'train', seconds: -5 }], schedule: 'daily' }),
    ).toThrow(/seconds of x\/train/);
  });
});

describe('checkBudget', () => {
  it('lets a run within budget, or without one, through silently', () => {
    expect(checkBudget(4.99, 5, false)).toBeUndefined();
    expect(checkBudget(5, 5, false)).toBeUndefined();
    expect(checkBudget(1000, undefined, false)).toBeUndefined();
  });

  it('refuses a run predicted over --budget-usd with one line (InputError, exit 1)', () => {
    const run = () => checkBudget(costOf(5400, 5.07), 5, false);
    expect(run).toThrow(InputError);
    try {
      run();
    } catch (err) {
      const e = err as InputError;
      expect(e.message).toBe(
        'predicted cost $7.61 exceeds --budget-usd $5.00; lower --samples/--domains or pass --force',
      );
      expect(e.message).not.toContain('\n');
      expect(e.exitCode).toBe(1);
    }
  });

  it('--force turns the refusal into a warning for the log', () => {
    expect(checkBudget(7.605, 5, true)).toBe(
      'predicted cost $7.61 exceeds --budget-usd $5.00; continuing because of --force',
    );
  });

  it('shows small and nearly equal amounts so the two figures differ', () => {
    expect(() => checkBudget(0.0042, 0.001, false)).toThrow(
      /^predicted cost \$0\.0042 exceeds --budget-usd \$0\.0010;/,
    );
    expect(() => checkBudget(5.001, 5, false)).toThrow(/^predicted cost \$5\.001 exceeds --budget-usd \$5;/);
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(231.31875)).toBe('$231.32');
  });

  it('rejects a budget that is not a non-negative number', () => {
    expect(() => checkBudget(1, -2, false)).toThrow(/--budget-usd must be a non-negative number/);
    expect(() => checkBudget(1, Number.NaN, false)).toThrow(InputError);
  });
});
