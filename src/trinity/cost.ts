// Measured cost of a train run: wall time per phase and domain × the GPU's hourly price gives cost.json, with the
// per-domain totals, the run's total, and the monthly cost that follows if the run repeats on a schedule (the
// original guide's "monthly costs"). The budget guard refuses a run whose predicted cost is over --budget-usd
// before any GPU time is spent. Everything here is pure arithmetic; the caller measures the seconds.

import { z } from 'zod';
import { InputError } from '../errors.ts';
import { CPU_NOTE, type DeviceInfo } from './gpu-catalog.ts';

export const SCHEDULES = ['weekly', 'daily', 'monthly'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** Runs a month for each schedule: a year's runs over 12 months. */
export const RUNS_PER_MONTH: Readonly<Record<Schedule, number>> = {
  weekly: 52 / 12,
  daily: 365 / 12,
  monthly: 1,
};

const RUNS_PER_MONTH_TEXT: Readonly<Record<Schedule, string>> = {
  weekly: '52/12',
  daily: '365/12',
  monthly: '1',
};

function checkNonNegative(what: string, x: number): void {
  if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`${what} must be a non-negative finite number, got ${x}`);
}

/** US dollars for `seconds` of wall time at `usdPerHour`. */
export function costOf(seconds: number, usdPerHour: number): number {
  checkNonNegative('seconds', seconds);
  checkNonNegative('usdPerHour', usdPerHour);
  return (seconds * usdPerHour) / 3600;
}

/** Dollars for messages: cents, or two significant digits below a cent so small runs do not read as $0.00. */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(2)}`;
}

const SecondsUsdSchema = z.object({ seconds: z.number().nonnegative(), usd: z.number().nonnegative() });

const PhaseGroupSchema = SecondsUsdSchema.extend({
  /** By phase name (generate, train, export, …), in the order the phases first ran. */
  phases: z.record(z.string(), SecondsUsdSchema),
});

export const CostReportSchema = z.object({
  schemaVersion: z.literal(1),
  device: z.enum(['cpu', 'gpu']),
  /** The nvidia-smi name, or 'CPU'. */
  name: z.string(),
  catalogId: z.string().nullable(),
  usdPerHour: z.number().nonnegative(),
  priceSource: z.string(),
  /** Why the price is what it is when that needs saying (CPU run, unknown GPU); null otherwise. */
  note: z.string().nullable(),
  /** Measured wall time and its cost, per domain, in the order the domains ran. */
  domains: z.record(z.string(), PhaseGroupSchema),
  /** Phases that belong to no single domain (setup, packaging); their time is billed too. */
  overhead: PhaseGroupSchema,
  totalSeconds: z.number().nonnegative(),
  totalUsd: z.number().nonnegative(),
  schedule: z.enum(SCHEDULES),
  runsPerMonth: z.number().positive(),
  /** totalUsd × runsPerMonth: a projection from this run's measured cost, not a measurement. */
  projectedMonthlyUsd: z.number().nonnegative(),
  projection: z.string(),
});

export type CostReport = z.infer<typeof CostReportSchema>;

export interface PhaseTime {
  /** The domain the phase worked on; omitted for run-wide phases (setup, packaging). */
  readonly domain?: string;
  readonly phase: string;
  /** Measured wall time. */
  readonly seconds: number;
}

export interface CostInput {
  readonly device: Pick<DeviceInfo, 'device' | 'name' | 'catalogId' | 'usdPerHour' | 'priceSource' | 'note'>;
  readonly phases: readonly PhaseTime[];
  readonly schedule: Schedule;
}

interface Group {
  seconds: number;
  phases: Map<string, number>;
}

function addTo(group: Group, phase: string, seconds: number): void {
  group.seconds += seconds;
  group.phases.set(phase, (group.phases.get(phase) ?? 0) + seconds);
}

/**
 * cost.json. Time measured twice for the same domain and phase (a resumed run) adds up. Dollars are computed from
 * seconds at every level (phase, domain, total), so each figure is exactly seconds × price / 3600.
 */
export function buildCostReport({ device, phases, schedule }: CostInput): CostReport {
  const price = device.usdPerHour;
  checkNonNegative('usdPerHour', price);
  if (device.device === 'cpu' && price !== 0) throw new RangeError(`a CPU run costs $0/h here, got ${price}`);
  const domains = new Map<string, Group>();
  const overhead: Group = { seconds: 0, phases: new Map() };
  let totalSeconds = 0;
  for (const p of phases) {
    checkNonNegative(`seconds of ${p.domain ?? 'overhead'}/${p.phase}`, p.seconds);
    let group = overhead;
    if (p.domain !== undefined) {
      group = domains.get(p.domain) ?? { seconds: 0, phases: new Map() };
      domains.set(p.domain, group);
    }
    addTo(group, p.phase, p.seconds);
    totalSeconds += p.seconds;
  }
  const priced = (g: Group) => ({
    seconds: g.seconds,
    usd: costOf(g.seconds, price),
    phases: Object.fromEntries([...g.phases].map(([phase, s]) => [phase, { seconds: s, usd: costOf(s, price) }])),
  });
  const totalUsd = costOf(totalSeconds, price);
  const runsPerMonth = RUNS_PER_MONTH[schedule];
  const note = device.device === 'cpu' ? (device.note ?? CPU_NOTE) : device.note;
  return CostReportSchema.parse({
    schemaVersion: 1,
    device: device.device,
    name: device.name,
    catalogId: device.catalogId,
    usdPerHour: price,
    priceSource: device.priceSource,
    note,
    domains: Object.fromEntries([...domains].map(([d, g]) => [d, priced(g)])),
    overhead: priced(overhead),
    totalSeconds,
    totalUsd,
    schedule,
    runsPerMonth,
    projectedMonthlyUsd: totalUsd * runsPerMonth,
    projection: `totalUsd × ${RUNS_PER_MONTH_TEXT[schedule]} runs a month (--schedule ${schedule}); projected from this run's measured cost, not measured`,
  });
}

/**
 * The budget guard, run before any GPU time is spent. Over budget without --force: an InputError (one line, exit 1).
 * Over budget with --force: a warning line for the log. Within budget, or no budget: undefined.
 */
export function checkBudget(predictedUsd: number, budgetUsd: number | undefined, force: boolean): string | undefined {
  checkNonNegative('predicted cost', predictedUsd);
  if (budgetUsd === undefined) return undefined;
  if (!(Number.isFinite(budgetUsd) && budgetUsd >= 0)) {
    throw new InputError(`--budget-usd must be a non-negative number of US dollars, got ${budgetUsd}`);
  }
  if (predictedUsd <= budgetUsd) return undefined;
  let predicted = formatUsd(predictedUsd);
  let budget = formatUsd(budgetUsd);
  if (predicted === budget) [predicted, budget] = [`$${predictedUsd}`, `$${budgetUsd}`];
  const over = `predicted cost ${predicted} exceeds --budget-usd ${budget}`;
  if (!force) throw new InputError(`${over}; lower --samples/--domains or pass --force`);
  return `${over}; continuing because of --force`;
}
