// quality_report.json: every deliverable of `meetara compress` measured through llama.cpp (src/eval) on each
// domain's held-out conversations from the transfer package:
//   perplexity   the base, each domain's full and lite models, the pack (shared base + the domain's adapter), and
//                the merged model (full and lite) on every domain
//   retention    lite against full: top-1 agreement and mean KL divergence (llama-perplexity's KLD method)
//   empathy      the rate of empathy strategy markers in greedy replies to held-out prompts, base against tuned
//   latency      time to first token p50/p95 and generation tokens/s on a fixed prompt set, all cores
// The guide's claims are carried under `claims` for comparison; nothing here is a constant result.

import { measureEmpathy } from '../eval/empathy.ts';
import { measureLatency } from '../eval/latency.ts';
import { heldoutPerplexity } from '../eval/perplexity.ts';
import { heldoutPrompts } from '../eval/prompts.ts';
import { measureRetention } from '../eval/retention.ts';
import type { ChatMessage } from '../model/chat-template.ts';
import { startProgress } from '../util/progress.ts';
import { type DomainQuality, LATENCY_KINDS, type QualityReport } from './deployment-package.ts';
import type { Router } from './router.ts';

/** The original guide's claims, shown beside the measurements (never used as results). */
export const GUIDE_CLAIMS = { retention: [0.94, 0.97] as [number, number], ttft_ms: 150 };

/** Held-out prompts per domain for the empathy replies, and for the latency prompt set. */
const EMPATHY_PROMPTS = 8;
const LATENCY_PROMPTS_PER_DOMAIN = 2;
/** Retention, the base, pack and merged (full, lite) perplexities, and base and tuned empathy. */
const MEASUREMENTS_PER_DOMAIN = 7;

type Conversation = { readonly messages: readonly ChatMessage[] };

export interface QualityDomainInput {
  readonly name: string;
  readonly heldout: readonly Conversation[];
  /** Paths, and for each its path relative to the deployment (for the report). */
  readonly full: string;
  readonly lite: string;
  readonly adapter: string;
}

export interface QualityInput {
  /** The transfer package's base (F16) and the pack's quantized base. */
  readonly base: string;
  readonly packBase: string;
  readonly mergedFull: string;
  readonly mergedLite: string;
  readonly domains: readonly QualityDomainInput[];
  readonly router: Router;
  readonly threads: number;
  /** Maps an absolute model path to the path the report shows. */
  readonly show: (path: string) => string;
  readonly log: (line: string) => void;
}

const empathyRow = (e: { rate: number; markersPerReply: number; replies: number }) => ({
  rate: e.rate,
  markers_per_reply: e.markersPerReply,
  replies: e.replies,
});

/** Runs one measurement after another under one progress bar. */
type Step = <T>(what: string, work: () => Promise<T>) => Promise<T>;

export async function measureQuality(q: QualityInput): Promise<QualityReport> {
  const started = performance.now();
  const threadCounts = [...new Set([q.threads, 1])];
  const progress = startProgress({
    label: 'quality',
    total: LATENCY_KINDS.length * threadCounts.length + q.domains.length * MEASUREMENTS_PER_DOMAIN,
    unit: 'measurements',
  });
  let done = 0;
  const step: Step = async (what, work) => {
    progress.update(done, what);
    const r = await work();
    progress.update(++done, what);
    return r;
  };
  try {
    const latency = await measureLatencies(q, threadCounts, step);
    // A tiny model decodes faster on one thread than on two (the second thread's synchronisation costs more than
    // its share of the work), so the thread count measured faster here runs the rest of the evaluation.
    const rate = (t: number) => latency.filter((l) => l.threads === t).reduce((n, l) => n + l.tokens_per_second, 0);
    const threads = rate(1) > rate(q.threads) ? 1 : q.threads;
    q.log(
      `quality: llama.cpp decodes at ${rate(q.threads).toFixed(0)} tokens/s summed on ${q.threads} threads, ${rate(1).toFixed(0)} on 1; evaluating on ${threads}`,
    );
    const domains: DomainQuality[] = [];
    for (const d of q.domains) domains.push(await measureDomain(q, d, threads, step));
    const positions = domains.reduce((n, d) => n + d.retention.positions, 0);
    const weighted = (f: (d: DomainQuality) => number) =>
      positions === 0 ? 0 : domains.reduce((s, d) => s + f(d) * d.retention.positions, 0) / positions;
    return {
      schemaVersion: 1,
      measured_with: 'llama.cpp (node-llama-cpp), CPU',
      threads,
      domains,
      retention: {
        top1_agreement: weighted((d) => d.retention.top1_agreement),
        mean_kl: weighted((d) => d.retention.mean_kl),
        positions,
      },
      latency,
      router: q.router.accuracy ?? { correct: 0, total: 0, rate: 0 },
      claims: GUIDE_CLAIMS,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    progress.stop();
  }
}

/**
 * Latency of every kind of deliverable (the first domain's full, lite and pack, and the merged full and lite) on
 * one fixed prompt set, the first held-out prompts of every domain, on all cores and on one thread.
 */
async function measureLatencies(q: QualityInput, threadCounts: readonly number[], step: Step) {
  const first = q.domains[0];
  if (!first) throw new Error('measureQuality needs at least one domain');
  const prompts = q.domains.flatMap((d) => heldoutPrompts(d.heldout, LATENCY_PROMPTS_PER_DOMAIN));
  const models = [
    { kind: 'full', model: `full (${first.name})`, file: first.full, adapter: null },
    { kind: 'lite', model: `lite (${first.name})`, file: first.lite, adapter: null },
    { kind: 'pack', model: `pack (${first.name} adapter)`, file: q.packBase, adapter: first.adapter },
    { kind: 'merged full', model: 'merged full', file: q.mergedFull, adapter: null },
    { kind: 'merged lite', model: 'merged lite', file: q.mergedLite, adapter: null },
  ] as const;
  const rows: QualityReport['latency'] = [];
  for (const threads of threadCounts) {
    for (const m of models) {
      const lora = m.adapter ? [{ filePath: m.adapter }] : undefined;
      const r = await step(`latency: ${m.model}`, () => measureLatency(m.file, prompts, { threads, lora }));
      rows.push({
        model: `${m.model}, ${threads} thread${threads > 1 ? 's' : ''}`,
        kind: m.kind,
        file: q.show(m.file),
        adapter: m.adapter ? q.show(m.adapter) : null,
        prompts: r.prompts,
        threads: r.threads,
        ttft_ms_p50: r.ttftMs.p50,
        ttft_ms_p95: r.ttftMs.p95,
        tokens_per_second: Number.isFinite(r.tokensPerSecond) ? r.tokensPerSecond : 0,
      });
    }
  }
  return rows;
}

/** One domain on its held-out conversations: every perplexity, lite's retention, and empathy base against tuned. */
async function measureDomain(q: QualityInput, d: QualityDomainInput, threads: number, step: Step) {
  const ppl = (what: string, model: string, lora?: string) =>
    step(`${d.name}: ${what} perplexity`, async () => {
      const r = await heldoutPerplexity(model, d.heldout, { threads, lora: lora ? [{ filePath: lora }] : undefined });
      return r.perplexity;
    });
  const empathy = (what: string, model: string) =>
    step(`${d.name}: ${what} empathy`, async () =>
      empathyRow(await measureEmpathy(model, heldoutPrompts(d.heldout, EMPATHY_PROMPTS), { threads })),
    );
  const retention = await step(`${d.name}: retention`, () => measureRetention(d.full, d.lite, d.heldout, { threads }));
  const row: DomainQuality = {
    name: d.name,
    heldout_conversations: d.heldout.length,
    scored_tokens: retention.positions,
    perplexity: {
      base: await ppl('base', q.base),
      full: retention.referencePerplexity,
      lite: retention.candidatePerplexity,
      pack: await ppl('pack', q.packBase, d.adapter),
      merged_full: await ppl('merged full', q.mergedFull),
      merged_lite: await ppl('merged lite', q.mergedLite),
    },
    retention: {
      top1_agreement: retention.top1Agreement,
      mean_kl: retention.meanKl,
      max_kl: retention.maxKl,
      positions: retention.positions,
    },
    empathy: { base: await empathy('base', q.base), tuned: await empathy('tuned', d.full) },
  };
  const p = row.perplexity;
  q.log(
    `${d.name}: perplexity base ${p.base.toFixed(2)}, full ${p.full.toFixed(2)}, lite ${p.lite.toFixed(2)}, ` +
      `pack ${p.pack.toFixed(2)}, merged ${p.merged_full.toFixed(2)}; lite keeps top-1 ${(row.retention.top1_agreement * 100).toFixed(1)}%`,
  );
  return row;
}
