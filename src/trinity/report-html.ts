// The deployment report `meetara compress` writes to deploy/report.html: one self-contained page (inline CSS and
// SVG, no scripts, nothing fetched) with a summary, five charts and, under each chart, the exact numbers. Every
// figure comes from the ReportInput, which the compress workflow fills with what it measured or computed from
// files; the original guide's nominal targets and claims are drawn as reference marks and labelled as such.

import { barChart, lineChart } from './charts.ts';

export interface ReportInput {
  readonly title: string;
  readonly created: string; // ISO time
  readonly profile: { readonly name: string; readonly full: string; readonly lite: string; readonly reason: string };
  /** Deployment size under each profile (sum over domains), exact; `measured` marks the profile this run produced. */
  readonly sizes: readonly {
    readonly profile: string;
    readonly f16Bytes: number;
    readonly fullBytes: number;
    readonly liteBytes: number;
    /** The guide's nominal reduction of lite against F16, a fraction (0.65 = 65% smaller). */
    readonly nominalReduction: number;
    readonly measured: boolean;
  }[];
  readonly universal: {
    readonly packBytes: number;
    readonly sumOfFullBytes: number;
    readonly sharedTensors: number;
    readonly totalTensors: number;
    readonly mergeMethod: string;
    readonly mergedFullBytes: number;
    readonly mergedLiteBytes: number;
  };
  /** `rate` is a fraction (correct / total). */
  readonly router: { readonly correct: number; readonly total: number; readonly rate: number };
  readonly domains: readonly {
    readonly name: string;
    readonly perplexity: {
      readonly base: number;
      readonly full: number;
      readonly lite: number;
      readonly pack: number;
      readonly merged: number;
    };
    /** top1 is a fraction in [0, 1]; meanKl in nats. */
    readonly retention: { readonly top1: number; readonly meanKl: number };
    /** Empathy marker rates, fractions in [0, 1]. */
    readonly empathy: { readonly base: number; readonly tuned: number };
  }[];
  readonly latency: readonly {
    readonly model: string;
    /** A short name for the chart's axis ("lite"); the table shows `model`. */
    readonly short?: string;
    /** llama.cpp threads, shown under the short name. */
    readonly threads?: number;
    readonly ttftP50Ms: number;
    readonly ttftP95Ms: number;
    readonly tokensPerSecond: number;
  }[];
  /**
   * The original guide's claims, drawn as reference marks and labelled as claims, never as results. `retention` is a
   * band of fractions ([0.95, 0.98] = 95–98%).
   */
  readonly claims: { readonly retention: readonly [number, number]; readonly ttftMs: number };
  /** Training loss curves carried over from the transfer package. */
  readonly lossCurves: readonly {
    readonly domain: string;
    readonly points: readonly { readonly step: number; readonly loss: number }[];
  }[];
  readonly timings: Readonly<Record<string, number>>; // seconds per phase
}

/** The five charts, by their `data-chart` attribute. */
export const REPORT_CHARTS = ['sizes', 'perplexity', 'retention', 'latency', 'loss'] as const;

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const DASH = '—';
const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : DASH);
const mb = (bytes: number) => fixed(bytes / 1e6, 2);
const pct = (fraction: number) => (Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : DASH);
/** a / b, or NaN when b is zero (shown as a dash, never as NaN or Infinity). */
const ratio = (a: number, b: number) => (b !== 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : Number.NaN);
const finiteOr0 = (x: number) => (Number.isFinite(x) ? x : 0);

function seconds(s: number): string {
  if (!Number.isFinite(s)) return DASH;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${s.toFixed(1)} s (${m} min ${Math.round(s - m * 60)} s)`;
}

/** Tags a chart's root <svg> with data-chart="name". */
const tagged = (svg: string, name: string) => svg.replace(/^<svg /, `<svg data-chart="${name}" role="img" `);

function table(head: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): string {
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${i >= numericFrom ? ' class="num"' : ''}>${esc(text)}</${tag}>`;
  return [
    '<table>',
    `<thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

function section(id: string, heading: string, body: readonly string[]): string {
  return [`<section id="${id}">`, `<h2>${esc(heading)}</h2>`, ...body, '</section>'].join('\n');
}

const note = (text: string) => `<p class="note">${esc(text)}</p>`;

/** lite against F16: the fraction by which lite is smaller. */
const liteReduction = (s: ReportInput['sizes'][number]) => 1 - ratio(s.liteBytes, s.f16Bytes);

function sizesSection(r: ReportInput): string {
  const signed = (f: number) => (Number.isFinite(f) ? `${f >= 0 ? '−' : '+'}${Math.abs(f * 100).toFixed(1)}%` : DASH);
  const chart = barChart(
    r.sizes.map((s) => ({
      label: s.measured ? `${s.profile} (this run)` : s.profile,
      values: [s.f16Bytes / 1e6, s.fullBytes / 1e6, s.liteBytes / 1e6],
      note: `lite ${signed(liteReduction(s))} (guide ${signed(s.nominalReduction)})`,
    })),
    {
      title: 'Deployment size per profile (all domains)',
      series: ['F16', 'full', 'lite'],
      colors: ['#9ca3af', '#2563eb', '#16a34a'],
      yLabel: 'MB',
      format: (v) => `${v.toFixed(2)} MB`,
    },
  );
  return section('sizes', 'Sizes', [
    tagged(chart, 'sizes'),
    table(
      ['profile', 'F16 MB', 'full MB', 'lite MB', 'lite vs F16', "guide's nominal target", 'this run'],
      r.sizes.map((s) => [
        s.profile,
        mb(s.f16Bytes),
        mb(s.fullBytes),
        mb(s.liteBytes),
        `${pct(liteReduction(s))} smaller`,
        `${pct(s.nominalReduction)} smaller`,
        s.measured ? 'yes' : '',
      ]),
    ),
    note(
      "The row marked “this run” sums the files this run wrote; the other rows are the exact sizes of the same models under those profiles' types. " +
        "The guide's nominal target is a label from the original guide, not a measurement. MB = 10⁶ bytes.",
    ),
  ]);
}

function perplexitySection(r: ReportInput): string {
  const kinds = ['base', 'full', 'lite', 'pack', 'merged'] as const;
  const chart = barChart(
    r.domains.map((d) => ({ label: d.name, values: kinds.map((k) => d.perplexity[k]) })),
    {
      title: 'Held-out perplexity per domain (lower is better)',
      series: ['base', 'full', 'lite', 'pack (base + adapter)', 'merged'],
      colors: ['#9ca3af', '#2563eb', '#16a34a', '#9333ea', '#ea580c'],
      yLabel: 'perplexity',
      format: (v) => v.toFixed(3),
    },
  );
  return section('perplexity', 'Perplexity', [
    tagged(chart, 'perplexity'),
    table(
      ['domain', 'base', 'full', 'lite', 'pack', 'merged'],
      r.domains.map((d) => [d.name, ...kinds.map((k) => fixed(d.perplexity[k], 3))]),
    ),
  ]);
}

function retentionSection(r: ReportInput): string {
  const [lo, hi] = r.claims.retention;
  const claimed = Number.isFinite(lo) && Number.isFinite(hi);
  const chart = barChart(
    r.domains.map((d) => ({ label: d.name, values: [d.retention.top1 * 100] })),
    {
      title: 'Top-1 agreement of lite with full, per domain',
      series: ['top-1 agreement'],
      colors: ['#16a34a'],
      yLabel: 'agreement (%)',
      references: claimed ? [{ label: `guide's claim: ${pct(lo)}–${pct(hi)}`, value: lo * 100, to: hi * 100 }] : [],
      format: (v) => `${v.toFixed(1)}%`,
    },
  );
  return section('retention', 'Retention', [
    tagged(chart, 'retention'),
    table(
      ['domain', 'top-1 agreement (lite vs full)', 'mean KL (nats)'],
      r.domains.map((d) => [d.name, pct(d.retention.top1), fixed(d.retention.meanKl, 4)]),
    ),
    note(
      claimed
        ? `The shaded band is the original guide's claim (${pct(lo)}–${pct(hi)} retention), drawn for reference; it is not a result of this run.`
        : "The original guide's retention claim was not given.",
    ),
    '<h3>Empathy marker rate</h3>',
    table(
      ['domain', 'base', 'tuned', 'change'],
      r.domains.map((d) => {
        const change = d.empathy.tuned - d.empathy.base;
        const points = Number.isFinite(change)
          ? `${change >= 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(1)} pts`
          : DASH;
        return [d.name, pct(d.empathy.base), pct(d.empathy.tuned), points];
      }),
    ),
  ]);
}

function latencySection(r: ReportInput): string {
  const claim = r.claims.ttftMs;
  const chart = barChart(
    r.latency.map((l) => ({
      label: l.short ?? l.model,
      note: l.threads === undefined ? undefined : `${l.threads} thread${l.threads === 1 ? '' : 's'}`,
      values: [l.ttftP50Ms, l.ttftP95Ms],
    })),
    {
      title: 'Time to first token per model',
      series: ['TTFT p50', 'TTFT p95'],
      colors: ['#2563eb', '#93c5fd'],
      yLabel: 'milliseconds',
      references: Number.isFinite(claim) ? [{ label: `guide's claim: ${fixed(claim, 0)} ms`, value: claim }] : [],
      format: (v) => `${v.toFixed(1)} ms`,
    },
  );
  return section('latency', 'Latency', [
    tagged(chart, 'latency'),
    table(
      ['model', 'TTFT p50 (ms)', 'TTFT p95 (ms)', 'tokens/s'],
      r.latency.map((l) => [l.model, fixed(l.ttftP50Ms, 1), fixed(l.ttftP95Ms, 1), fixed(l.tokensPerSecond, 1)]),
    ),
    note(
      Number.isFinite(claim)
        ? `The dashed line is the original guide's claim (${fixed(claim, 0)} ms), drawn for reference; it is not a result of this run.`
        : "The original guide's latency claim was not given.",
    ),
  ]);
}

function lossSection(r: ReportInput): string {
  const curves = r.lossCurves
    .map((c) => ({
      name: c.domain,
      points: c.points
        .filter((p) => Number.isFinite(p.step) && Number.isFinite(p.loss))
        .map((p) => [p.step, p.loss] as const),
    }))
    .filter((c) => c.points.length > 0);
  const opts = { title: 'Training loss per domain', xLabel: 'step', yLabel: 'loss (nats per token)' };
  // lineChart needs at least one point; with none, an empty frame that says so.
  const chart =
    curves.length > 0
      ? lineChart(curves, opts)
      : barChart([], { title: opts.title, series: [], yLabel: opts.yLabel }).replace(
          '>no data<',
          '>no loss curves in the transfer package<',
        );
  const rows = r.lossCurves.map((c) => {
    const pts = c.points.filter((p) => Number.isFinite(p.step) && Number.isFinite(p.loss));
    if (pts.length === 0) return [c.domain, '0', DASH, DASH, DASH, DASH];
    const first = pts[0]!;
    const last = pts[pts.length - 1]!;
    return [
      c.domain,
      String(pts.length),
      `${first.step}–${last.step}`,
      fixed(first.loss, 3),
      fixed(last.loss, 3),
      fixed(Math.min(...pts.map((p) => p.loss)), 3),
    ];
  });
  return section('loss', 'Training loss', [
    tagged(chart, 'loss'),
    table(['domain', 'points', 'steps', 'first loss', 'last loss', 'lowest loss'], rows),
  ]);
}

function timingsSection(r: ReportInput, total: number): string {
  const rows = Object.entries(r.timings).map(([phase, s]) => [phase, fixed(s, 1), pct(ratio(s, total))]);
  return section('timings', 'Time per phase', [
    table(['phase', 'seconds', 'share'], [...rows, ['total', fixed(total, 1), total > 0 ? '100.0%' : DASH]]),
  ]);
}

function summary(r: ReportInput, total: number): string {
  const u = r.universal;
  const saving = 1 - ratio(u.packBytes, u.sumOfFullBytes);
  const li = (label: string, text: string) => `<li><strong>${esc(label)}</strong> ${esc(text)}</li>`;
  return [
    '<ul class="summary">',
    li('Profile:', `${r.profile.name} (full ${r.profile.full}, lite ${r.profile.lite}). Why: ${r.profile.reason}`),
    li(
      'Universal pack:',
      `${mb(u.packBytes)} MB (shared base + every adapter) against ${mb(u.sumOfFullBytes)} MB for the full models side by side: ` +
        (Number.isFinite(saving)
          ? `${pct(Math.abs(saving))} ${saving >= 0 ? 'smaller' : 'larger'} (measured).`
          : 'no saving to compute.'),
    ),
    li('Shared tensors:', `${u.sharedTensors} of ${u.totalTensors} stored once.`),
    li('Merged model:', `${u.mergeMethod}; full ${mb(u.mergedFullBytes)} MB, lite ${mb(u.mergedLiteBytes)} MB.`),
    li('Router accuracy:', `${r.router.correct} of ${r.router.total} (${pct(r.router.rate)}).`),
    li('Total time:', `${seconds(total)}.`),
    '</ul>',
  ].join('\n');
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; max-width: 760px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #e5e7eb; padding-bottom: 0.2rem; }
h3 { font-size: 1rem; margin-top: 1.4rem; }
.created { color: #6b7280; margin-top: 0; }
.summary { padding-left: 1.2rem; }
.summary li { margin: 0.25rem 0; }
svg { display: block; max-width: 100%; height: auto; margin: 0.8rem 0; border: 1px solid #e5e7eb; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #e5e7eb; text-align: left; }
th { background: #f9fafb; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #4b5563; font-size: 0.85rem; }
footer { margin-top: 2.5rem; color: #6b7280; font-size: 0.85rem; }
`;

/** The report as one self-contained HTML page. */
export function renderReport(input: ReportInput): string {
  const total = Object.values(input.timings).reduce((a, s) => a + finiteOr0(s), 0);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may load from anywhere: no scripts, no external styles, fonts or images.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(input.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(input.title)}</h1>`,
    `<p class="created">Created <time datetime="${esc(input.created)}">${esc(input.created)}</time></p>`,
    summary(input, total),
    sizesSection(input),
    perplexitySection(input),
    retentionSection(input),
    latencySection(input),
    lossSection(input),
    timingsSection(input, total),
    '<footer>',
    esc(
      "Every figure on this page was measured in this run or computed exactly from its files, except those labelled “guide's claim” or “guide's nominal target”: " +
        'those are the original guide’s figures, drawn for comparison, never results.',
    ),
    '</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
