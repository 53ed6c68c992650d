// `meetara demo` (npm run demo): the whole job on the embedded tiny base, on any machine. `train` on the four
// default domains, then `compress --profile balanced` on the package it wrote, then a summary table. `--quick` is
// train's smoke-test size. The demo's own outputs live in one folder (out/demo by default): the package under
// train/, the deployment under deploy/.

import { join } from 'node:path';
import { megabytes, percent } from '../util/format.ts';
import { type CompressResult, compressWorkflow, liteLatency } from './compress.ts';
import { type TrainWorkflowResult, trainWorkflow, unfinishedRuns } from './train.ts';

/**
 * The full demo's training: one pass over 300 samples per domain in rows of 256 tokens (about 19 steps), so the four
 * domains train in about 10 minutes on 2 cores.
 */
export const DEMO_TRAIN = { samples: 300, epochs: 1, lr: 2e-3, seqLen: 256 } as const;
/** --quick: train's smoke-test size on two of the four domains, so the whole demo fits in 3 minutes on 2 cores. */
export const DEMO_QUICK = { quick: true, domains: 'healthcare,mental_health' } as const;
/** Held-out conversations compress measures per domain. */
export const DEMO_HELDOUT = { quick: 8, full: 32 } as const;

export interface DemoOptions {
  readonly quick?: boolean;
  readonly out?: string;
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

export interface DemoResult {
  readonly train: TrainWorkflowResult;
  readonly compress: CompressResult;
  readonly seconds: { readonly train: number; readonly compress: number; readonly total: number };
}

export async function demoWorkflow(o: DemoOptions = {}): Promise<DemoResult> {
  const out = o.out ?? 'out/demo';
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = performance.now();
  const trainOut = join(out, 'train');
  const train = await trainWorkflow({
    ...(o.quick ? DEMO_QUICK : DEMO_TRAIN),
    out: trainOut,
    // An interrupted demo picks up where it stopped.
    resume: unfinishedRuns(trainOut).length > 0,
    threads: o.threads,
    log,
  });
  const t1 = performance.now();
  const compress = await compressWorkflow({
    package: train.packageDir,
    profile: 'balanced',
    out: join(out, 'deploy'),
    threads: o.threads,
    heldout: o.quick ? DEMO_HELDOUT.quick : DEMO_HELDOUT.full,
    log,
  });
  const t2 = performance.now();
  return { train, compress, seconds: { train: (t1 - t0) / 1000, compress: (t2 - t1) / 1000, total: (t2 - t0) / 1000 } };
}

/** The table the demo ends with: per domain what training and compression measured, then the universal model. */
export function demoSummary(r: DemoResult): string {
  const { manifest: m, quality: q } = r.compress;
  const header = [
    'domain',
    'train loss',
    'ppl base→tuned',
    'lite ppl',
    'top-1 kept',
    'empathy base→tuned',
    'full',
    'lite',
  ];
  const rows = m.models.individual_domains.map((d) => {
    const t = r.train.manifest.domains.find((x) => x.name === d.name);
    const dq = q.domains.find((x) => x.name === d.name);
    return [
      d.name,
      t ? t.metrics.train_loss.toFixed(3) : '',
      dq ? `${dq.perplexity.base.toFixed(2)}→${dq.perplexity.full.toFixed(2)}` : '',
      dq ? dq.perplexity.lite.toFixed(2) : '',
      dq ? percent(dq.retention.top1_agreement) : '',
      dq ? `${percent(dq.empathy.base.rate)}→${percent(dq.empathy.tuned.rate)}` : '',
      megabytes(d.full.bytes),
      megabytes(d.lite.bytes),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  const u = m.models.universal;
  const lite = liteLatency(q);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `universal pack: ${megabytes(u.pack.bytes)} for ${m.models.individual_domains.length} domains against ${megabytes(u.pack.sum_of_full_bytes)} of full models (${percent(u.pack.reduction)} smaller; ${u.pack.shared_tensors.identical} of ${u.pack.shared_tensors.total} tensors shared)`,
    `merged (${u.merged.method}): full ${megabytes(u.merged.full.bytes)}, lite ${megabytes(u.merged.lite.bytes)}`,
    `router: ${percent(q.router.rate)} of ${q.router.total} held-out user turns routed to their domain`,
    `lite keeps ${percent(q.retention.top1_agreement)} of full's top-1 tokens (mean KL ${q.retention.mean_kl.toFixed(4)})` +
      (lite
        ? `; first token ${lite.ttft_ms_p50.toFixed(1)} ms p50, ${lite.tokens_per_second.toFixed(0)} tokens/s on ${lite.threads} thread(s)`
        : ''),
    `time: train ${r.seconds.train.toFixed(0)} s, compress ${r.seconds.compress.toFixed(0)} s, total ${r.seconds.total.toFixed(0)} s`,
    `report: ${r.compress.report}`,
    '',
  ].join('\n');
}
