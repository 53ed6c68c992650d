// Self-contained SVG charts (no scripts, no external fonts), for the model card and the deployment report.

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly color?: string;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A line chart of one or more series, with axes, ticks and a legend. */
export function lineChart(
  series: readonly Series[],
  o: { title: string; xLabel: string; yLabel: string; width?: number; height?: number },
): string {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const m = { left: 60, right: 20, top: 36, bottom: 48 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const t of ticks(y0, y1)) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of ticks(x0, x1)) {
    parts.push(`<text x="${sx(t)}" y="${height - m.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#111"/>`,
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#111"/>`,
    `<text x="${width / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="14" y="${height / 2}" text-anchor="middle" transform="rotate(-90 14 ${height / 2})">${esc(o.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"><title>${esc(s.name)}</title></path>`,
      `<rect x="${width - m.right - 150}" y="${m.top + i * 18}" width="12" height="3" fill="${color}"/>`,
      `<text x="${width - m.right - 132}" y="${m.top + i * 18 + 5}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface BarGroup {
  /** The group's label under the axis (a domain, a profile, a model). */
  readonly label: string;
  /** One value per series, in the order of the chart's `series`; NaN or ±Infinity draws no bar. */
  readonly values: readonly number[];
  /** A second, smaller line under the label. */
  readonly note?: string;
}

/** A reference mark drawn across the plot: a dashed line at `value`, or a shaded band from `value` to `to`. */
export interface BarReference {
  readonly label: string;
  readonly value: number;
  readonly to?: number;
}

/** A coordinate for an SVG attribute: finite, one decimal. */
const at = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(1)) : 0);

/**
 * A grouped bar chart: one group per entry of `groups`, one bar per series inside it, with a y axis and ticks from 0,
 * a legend, and optional reference lines or bands. Each bar is a `<rect class="bar">` carrying its value in
 * `data-value` and a `<title>` with the exact number, so the chart can be read back and checked.
 */
export function barChart(
  groups: readonly BarGroup[],
  o: {
    title: string;
    series: readonly string[];
    yLabel: string;
    colors?: readonly string[];
    references?: readonly BarReference[];
    /** How a value reads in a bar's title (default: the number as given). */
    format?: (v: number) => string;
    width?: number;
    height?: number;
  },
): string {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const hasNotes = groups.some((g) => g.note !== undefined);
  const m = { left: 64, right: 20, top: 56, bottom: hasNotes ? 64 : 48 };
  const fmt = o.format ?? ((v: number) => String(v));
  const refs = (o.references ?? []).filter((r) => Number.isFinite(r.value));
  const finite = [
    ...groups.flatMap((g) => g.values.filter(Number.isFinite)),
    ...refs.flatMap((r) => [r.value, ...(r.to !== undefined && Number.isFinite(r.to) ? [r.to] : [])]),
  ];
  const y0 = Math.min(0, ...finite);
  let y1 = Math.max(0, ...finite);
  if (y1 <= y0) y1 = y0 + 1;
  // Round the top of the axis up to the next tick, so the tallest bar sits under a labelled line.
  const first = ticks(y0, y1);
  const step = first.length > 1 ? first[1] - first[0] : 0;
  if (step > 0) y1 = Number((Math.ceil(y1 / step - 1e-9) * step).toPrecision(12));
  const top = ticks(y0, y1);
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0)) * plotH;
  const color = (i: number) => o.colors?.[i] ?? PALETTE[i % PALETTE.length];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${at(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  ];
  // Legend: one row under the title.
  let lx = m.left;
  o.series.forEach((name, i) => {
    parts.push(
      `<rect x="${at(lx)}" y="31" width="12" height="12" fill="${color(i)}"/>`,
      `<text x="${at(lx + 16)}" y="41">${esc(name)}</text>`,
    );
    lx += 28 + name.length * 7;
  });
  for (const t of top) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${at(sy(t))}" y2="${at(sy(t))}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 6}" y="${at(sy(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  // Bands first, so bars are drawn over them.
  for (const r of refs) {
    if (r.to === undefined || !Number.isFinite(r.to)) continue;
    const [a, b] = [sy(Math.max(r.value, r.to)), sy(Math.min(r.value, r.to))];
    parts.push(
      `<rect class="reference" x="${m.left}" y="${at(a)}" width="${at(plotW)}" height="${at(Math.max(b - a, 1))}" fill="#f59e0b" fill-opacity="0.25" stroke="#d97706" stroke-dasharray="4 3"><title>${esc(r.label)}</title></rect>`,
    );
  }
  if (groups.length === 0) {
    parts.push(`<text x="${at(m.left + plotW / 2)}" y="${at(m.top + plotH / 2)}" text-anchor="middle">no data</text>`);
  }
  const groupW = plotW / Math.max(groups.length, 1);
  const barW = (groupW * 0.8) / Math.max(o.series.length, 1);
  // Group labels shrink (to 9 px at least) when the longest would be wider than its group at 12 px.
  const longest = Math.max(1, ...groups.map((g) => g.label.length));
  const labelSize = Math.max(9, Math.min(12, Math.floor(groupW / (longest * 0.62))));
  groups.forEach((g, gi) => {
    const gx = m.left + gi * groupW + groupW * 0.1;
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v) || si >= o.series.length) return;
      const [a, b] = [sy(Math.max(v, 0)), sy(Math.min(v, 0))];
      parts.push(
        `<rect class="bar" data-value="${v}" x="${at(gx + si * barW)}" y="${at(a)}" width="${at(Math.max(barW - 1, 1))}" height="${at(b - a)}" fill="${color(si)}"><title>${esc(`${g.label}, ${o.series[si]}: ${fmt(v)}`)}</title></rect>`,
      );
    });
    const cx = at(gx + groupW * 0.4);
    const size = labelSize === 12 ? '' : ` font-size="${labelSize}"`;
    parts.push(`<text x="${cx}" y="${height - m.bottom + 16}" text-anchor="middle"${size}>${esc(g.label)}</text>`);
    if (g.note !== undefined) {
      parts.push(
        `<text x="${cx}" y="${height - m.bottom + 31}" text-anchor="middle" font-size="10" fill="#374151">${esc(g.note)}</text>`,
      );
    }
  });
  // Reference lines and all reference labels last, over the bars.
  refs.forEach((r, i) => {
    const band = r.to !== undefined && Number.isFinite(r.to);
    const y = at(sy(band ? Math.max(r.value, r.to as number) : r.value));
    if (!band) {
      parts.push(
        `<line class="reference" x1="${m.left}" x2="${width - m.right}" y1="${y}" y2="${y}" stroke="#d97706" stroke-width="2" stroke-dasharray="6 4"><title>${esc(r.label)}</title></line>`,
      );
    }
    parts.push(
      `<text x="${width - m.right - 4}" y="${at(y - 4 - i * 14)}" text-anchor="end" font-size="11" fill="#92400e">${esc(r.label)}</text>`,
    );
  });
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#111"/>`,
    `<line x1="${m.left}" x2="${width - m.right}" y1="${at(sy(0))}" y2="${at(sy(0))}" stroke="#111"/>`,
    `<text x="14" y="${at(height / 2)}" text-anchor="middle" transform="rotate(-90 14 ${at(height / 2)})">${esc(o.yLabel)}</text>`,
    '</svg>',
  );
  return parts.join('\n');
}
