// The deployment report: renderReport's HTML unit-checked (escaping, no NaN, nothing external), then the page
// rendered in headless Chromium (Debian's `chromium`, or MEETARA_CHROMIUM) to check that every chart draws marks
// to scale, that the page fetches nothing but itself, and that the screenshot is not blank.

import { copyFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_CHARTS, type ReportInput, renderReport } from '../../src/trinity/report-html.ts';
import { type Graphic, launchChromium } from '../helpers/chromium.ts';
import { tempDir } from '../helpers/temp.ts';

/** A loss curve of 20 points: a decay with a deterministic wiggle, as a short LoRA run logs it. */
const curve = (start: number, floor: number, wiggle: number) =>
  Array.from({ length: 20 }, (_, i) => ({
    step: (i + 1) * 5,
    loss: Number((floor + (start - floor) * Math.exp(-i / 6) + wiggle * Math.sin(i * 1.7)).toFixed(4)),
  }));

const FIXTURE: ReportInput = {
  title: 'MeeTARA deployment report',
  created: '2025-06-01T12:34:56.000Z',
  profile: {
    name: 'balanced',
    full: 'Q8_0',
    lite: 'Q4_K_M',
    reason: '24 GiB of memory and 2 cores: between the two → balanced',
  },
  sizes: [
    {
      profile: 'quality',
      f16Bytes: 19_512_384,
      fullBytes: 10_402_176,
      liteBytes: 8_127_936,
      nominalReduction: 0.3,
      measured: false,
    },
    {
      profile: 'balanced',
      f16Bytes: 19_512_384,
      fullBytes: 10_402_176,
      liteBytes: 6_112_128,
      nominalReduction: 0.65,
      measured: true,
    },
    {
      profile: 'aggressive',
      f16Bytes: 19_512_384,
      fullBytes: 8_127_936,
      liteBytes: 4_970_112,
      nominalReduction: 0.85,
      measured: false,
    },
  ],
  universal: {
    packBytes: 4_731_904,
    sumOfFullBytes: 10_402_176,
    sharedTensors: 57,
    totalTensors: 75,
    mergeMethod: 'linear, equal weights',
    mergedFullBytes: 3_467_392,
    mergedLiteBytes: 2_037_376,
  },
  router: { correct: 57, total: 60, rate: 0.95 },
  domains: [
    {
      name: 'general_health',
      perplexity: { base: 48.2131, full: 31.4019, lite: 32.1184, pack: 31.4552, merged: 36.8713 },
      retention: { top1: 0.9124, meanKl: 0.04121 },
      empathy: { base: 0.083, tuned: 0.314 },
    },
    {
      name: 'mental_health',
      perplexity: { base: 52.9874, full: 29.8841, lite: 30.9027, pack: 29.9716, merged: 35.2209 },
      retention: { top1: 0.8971, meanKl: 0.05307 },
      empathy: { base: 0.121, tuned: 0.402 },
    },
    {
      name: 'entrepreneurship',
      perplexity: { base: 45.6402, full: 33.0175, lite: 33.7712, pack: 33.0518, merged: 37.9954 },
      retention: { top1: 0.9338, meanKl: 0.03389 },
      empathy: { base: 0.054, tuned: 0.227 },
    },
  ],
  latency: [
    { model: 'general_health (full Q8_0)', ttftP50Ms: 18.4, ttftP95Ms: 26.1, tokensPerSecond: 412.3 },
    { model: 'general_health (lite Q4_K_M)', ttftP50Ms: 14.2, ttftP95Ms: 21.7, tokensPerSecond: 498.0 },
  ],
  claims: { retention: [0.95, 0.98], ttftMs: 50 },
  lossCurves: [
    { domain: 'general_health', points: curve(3.42, 1.71, 0.04) },
    { domain: 'mental_health', points: curve(3.55, 1.64, 0.05) },
  ],
  timings: { verify: 2.1, quantize: 14.8, universal: 6.3, evaluate: 41.7, package: 1.2 },
};

describe('renderReport (HTML)', () => {
  it('writes the exact numbers in the tables and the summary', () => {
    const html = renderReport(FIXTURE);
    // balanced: 19.51 / 10.40 / 6.11 MB, lite 68.7% smaller than F16 beside the guide's 65.0%.
    expect(html).toMatch(
      /<td>balanced<\/td><td class="num">19\.51<\/td><td class="num">10\.40<\/td><td class="num">6\.11<\/td><td class="num">68\.7% smaller<\/td><td class="num">65\.0% smaller<\/td><td class="num">yes<\/td>/,
    );
    expect(html).toContain('<td class="num">31.402</td>'); // general_health full perplexity, 3 decimals
    expect(html).toContain('<td class="num">91.2%</td>'); // general_health top-1
    expect(html).toContain('4.73 MB (shared base + every adapter) against 10.40 MB');
    expect(html).toContain('54.5% smaller (measured)');
    expect(html).toContain('57 of 75 stored once');
    expect(html).toContain('57 of 60 (95.0%)');
    expect(html).toContain('66.1 s (1 min 6 s)');
    expect(html.match(/data-chart="/g)?.length).toBe(5);
    for (const name of REPORT_CHARTS) expect(html).toContain(`<svg data-chart="${name}"`);
  });

  it('escapes every text from the input', () => {
    const evil = '<script>alert("x")</script>';
    const html = renderReport({
      ...FIXTURE,
      title: `Report & ${evil}`,
      profile: { ...FIXTURE.profile, reason: `"quoted" <b>reason</b>` },
      domains: FIXTURE.domains.map((d, i) => (i === 0 ? { ...d, name: evil } : d)),
      latency: [{ ...FIXTURE.latency[0]!, model: `<img src=x onerror=alert(1)>` }],
      lossCurves: [{ domain: evil, points: FIXTURE.lossCurves[0]!.points }],
      timings: { [evil]: 1 },
    });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>reason');
    expect(html).toContain('&lt;script&gt;alert(');
    expect(html).toContain('Report &amp; &lt;script&gt;');
    expect(html).toContain('&quot;quoted&quot; &lt;b&gt;reason&lt;/b&gt;');
  });

  it('never writes NaN or Infinity, for an empty input or for zero and NaN values', () => {
    const empty: ReportInput = {
      title: '',
      created: '',
      profile: { name: '', full: '', lite: '', reason: '' },
      sizes: [],
      universal: {
        packBytes: 0,
        sumOfFullBytes: 0,
        sharedTensors: 0,
        totalTensors: 0,
        mergeMethod: '',
        mergedFullBytes: 0,
        mergedLiteBytes: 0,
      },
      router: { correct: 0, total: 0, rate: Number.NaN },
      domains: [],
      latency: [],
      claims: { retention: [Number.NaN, Number.NaN], ttftMs: Number.NaN },
      lossCurves: [],
      timings: {},
    };
    const zeros: ReportInput = {
      ...FIXTURE,
      sizes: FIXTURE.sizes.map((s) => ({ ...s, f16Bytes: 0, fullBytes: 0, liteBytes: Number.NaN })),
      universal: { ...FIXTURE.universal, packBytes: 0, sumOfFullBytes: 0 },
      domains: FIXTURE.domains.map((d) => ({
        ...d,
        perplexity: { base: 0, full: Number.NaN, lite: Number.POSITIVE_INFINITY, pack: 0, merged: 0 },
        retention: { top1: 0, meanKl: Number.NaN },
        empathy: { base: 0, tuned: Number.NaN },
      })),
      latency: [{ model: 'm', ttftP50Ms: 0, ttftP95Ms: Number.NaN, tokensPerSecond: 0 }],
      lossCurves: [
        { domain: 'none', points: [] },
        { domain: 'one', points: [{ step: 0, loss: 0 }] },
        { domain: 'bad', points: [{ step: Number.NaN, loss: 1 }] },
      ],
      timings: { a: 0, b: Number.NaN },
    };
    for (const input of [empty, zeros]) {
      const html = renderReport(input);
      expect(html).not.toMatch(/NaN|Infinity/);
      expect(html.match(/<svg data-chart="/g)?.length).toBe(5);
    }
    expect(renderReport(empty)).toContain('no loss curves in the transfer package');
  });

  it('loads nothing from outside the page', () => {
    const html = renderReport(FIXTURE);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=/i);
    // The only URLs are the SVG namespace, which names a vocabulary and is never fetched.
    expect(new Set(html.match(/https?:\/\/[^\s"'<>]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });
});

/** The fewest data marks each chart must draw for the fixture: bars, or loss lines. */
const MIN_MARKS: Record<(typeof REPORT_CHARTS)[number], number> = {
  sizes: 3 * 3, // 3 profiles × F16, full, lite
  perplexity: 3 * 5, // 3 domains × base, full, lite, pack, merged
  retention: 3,
  latency: 2 * 2, // 2 models × p50, p95
  loss: 2,
};

describe('deployment report in headless Chromium', () => {
  const dir = tempDir('meetara-report-');
  const file = join(dir, 'report.html');
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    writeFileSync(file, renderReport(FIXTURE));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('requests nothing but the file itself', () => {
    expect(requests).toEqual([url]);
  });

  it('draws every chart, visible, with marks of nonzero size', async () => {
    for (const name of REPORT_CHARTS) {
      const svg = page.locator(`svg[data-chart="${name}"]`);
      expect(await svg.count(), name).toBe(1);
      expect(await svg.isVisible(), name).toBe(true);
      const box = await svg.boundingBox();
      expect(box?.width, name).toBeGreaterThan(100);
      expect(box?.height, name).toBeGreaterThan(100);
      const marks = await svg.evaluate((el, isLoss) => {
        const selector = isLoss ? 'path' : 'rect.bar';
        return ([...el.querySelectorAll(selector)] as Graphic[]).filter((m) => {
          const b = m.getBBox();
          return b.width > 0 && b.height > 0;
        }).length;
      }, name === 'loss');
      expect(marks, name).toBeGreaterThanOrEqual(MIN_MARKS[name]);
    }
  });

  it('draws bars to scale: each bar height is its value times one factor per chart', async () => {
    for (const name of ['sizes', 'perplexity', 'retention', 'latency'] as const) {
      const bars = await page.locator(`svg[data-chart="${name}"] rect.bar`).evaluateAll((els) =>
        els.map((e) => ({
          value: Number(e.getAttribute('data-value')),
          height: (e as unknown as Graphic).getBBox().height,
        })),
      );
      expect(bars.length, name).toBe(MIN_MARKS[name as keyof typeof MIN_MARKS]);
      const tallest = bars.reduce((a, b) => (b.value > a.value ? b : a));
      const k = tallest.height / tallest.value;
      // Coordinates are written to 0.1 of a unit: allow that rounding on both ends of each bar.
      for (const b of bars) expect(Math.abs(b.height - b.value * k), `${name} ${b.value}`).toBeLessThanOrEqual(0.25);
    }
  });

  it("draws the guide's claims as labelled reference marks, to the same scale", async () => {
    const retention = page.locator('svg[data-chart="retention"]');
    expect(await retention.textContent()).toContain("guide's claim: 95.0%–98.0%");
    const scale = await retention.evaluate((el) => {
      const bar = el.querySelector('rect.bar') as Graphic;
      const band = (el.querySelector('rect.reference') as Graphic).getBBox();
      return { k: bar.getBBox().height / Number(bar.getAttribute('data-value')), band: band.height };
    });
    expect(Math.abs(scale.band - 3 * scale.k)).toBeLessThanOrEqual(0.25); // 98% − 95%

    const latency = page.locator('svg[data-chart="latency"]');
    expect(await latency.textContent()).toContain("guide's claim: 50 ms");
    const line = await latency.evaluate((el) => {
      const r = (el.querySelector('line.reference') as Graphic).getBBox();
      const bar = (el.querySelector('rect.bar') as Graphic).getBBox();
      const value = Number(el.querySelector('rect.bar')!.getAttribute('data-value'));
      // Bars stand on y = 0, so the baseline is the bar's bottom; the line sits 50 units above it.
      return { width: r.width, rise: bar.y + bar.height - r.y, k: bar.height / value };
    });
    expect(line.width).toBeGreaterThan(100);
    expect(Math.abs(line.rise - 50 * line.k)).toBeLessThanOrEqual(0.25);
  });

  it('screenshots to a PNG that is not blank', async () => {
    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    const bytes = statSync(png).size;
    expect(bytes).toBeGreaterThan(20_000);
    if (process.env.MEETARA_REPORT_OUT) copyFileSync(png, process.env.MEETARA_REPORT_OUT);

    // The sizes chart's area, drawn and then with the chart hidden: the drawn one must hold far more detail.
    const svg = page.locator('svg[data-chart="sizes"]');
    await svg.scrollIntoViewIfNeeded();
    const clip = (await svg.boundingBox())!;
    const drawn = await page.screenshot({ clip });
    await svg.evaluate((el) => {
      (el as unknown as Graphic).style.visibility = 'hidden';
    });
    const blank = await page.screenshot({ clip });
    await svg.evaluate((el) => {
      (el as unknown as Graphic).style.visibility = '';
    });
    expect(drawn.length).toBeGreaterThan(3 * blank.length);
  });
});
