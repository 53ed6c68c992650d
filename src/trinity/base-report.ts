// `meetara base-report` (the second half of npm run make-base): measures the shipped base with llama.cpp and
// writes its model card. Every figure comes from this run or from base.json, which make-base wrote:
//   - held-out perplexity over the corpus's held-out situations (assistant tokens, given their context);
//   - greedy transcripts for four domains, with the embedded chat template, and whether they stop at end of turn;
//   - specialisation: LoRA on 300 generated samples of each domain, within a time budget, against the base.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../data/generate.ts';
import { greedyChatReplies } from '../eval/chat.ts';
import { heldoutPerplexity } from '../eval/perplexity.ts';
import { ADAPTER_FILE } from '../trainer/export.ts';
import { finetune, readMetrics } from '../trainer/finetune.ts';
import { writeFileAtomic, writeJsonAtomic, writeJsonlAtomic } from '../util/atomic-file.ts';
import { lineChart } from './charts.ts';
import { BASE_FILE, BASE_RECORD, corpusFiles, type PretrainRecord } from './make-base.ts';

/** The domains the model card shows: the seed's healthcare, mental health, business and education. */
export const CARD_DOMAINS = ['general_health', 'mental_health', 'entrepreneurship', 'academic_tutoring'] as const;

/** Held-out conversations per domain the card's perplexity is measured on. */
export const HELDOUT_PER_DOMAIN_SCORED = 8;

export interface SpecialisationOptions {
  readonly base: string;
  readonly domain: string;
  readonly work: string;
  readonly samples?: number;
  readonly heldout?: number;
  /** Optimizer steps of the LoRA run (its time is measured, not capped). */
  readonly steps?: number;
  readonly seed?: number;
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

export interface Specialisation {
  readonly domain: string;
  readonly trainSamples: number;
  readonly heldoutSamples: number;
  readonly steps: number;
  readonly trainSeconds: number;
  readonly wallSeconds: number;
  readonly basePerplexity: number;
  readonly tunedPerplexity: number;
  /** (base − tuned) / base. */
  readonly drop: number;
}

export const SPECIALISE_DEFAULTS = {
  samples: 300,
  heldout: 30,
  steps: 60,
  seqLen: 256,
  seed: 0,
  rank: 16,
  alpha: 32,
  lr: 2e-3,
};

/** LoRA-tunes `base` on one domain's generated data and measures held-out perplexity with and without it. */
export async function specialise(o: SpecialisationOptions): Promise<Specialisation> {
  const d = SPECIALISE_DEFAULTS;
  const [data] = generate({
    domains: [o.domain],
    samplesPerDomain: o.samples ?? d.samples,
    heldoutPerDomain: o.heldout ?? d.heldout,
    seed: o.seed ?? d.seed,
  });
  if (!data) throw new Error(`no data for ${o.domain}`);
  mkdirSync(o.work, { recursive: true });
  const trainFile = join(o.work, `${o.domain}.train.jsonl`);
  await writeJsonlAtomic(
    trainFile,
    data.train.map((s) => ({ messages: s.messages })),
  );
  const started = Date.now();
  const run = await finetune({
    base: o.base,
    data: trainFile,
    out: join(o.work, o.domain),
    force: true,
    rank: d.rank,
    alpha: d.alpha,
    lr: d.lr,
    steps: o.steps ?? d.steps,
    seqLen: d.seqLen,
    batch: 4,
    gradAccum: 2,
    seed: o.seed ?? d.seed,
    checkpointEvery: 1000,
    log: o.log ?? (() => {}),
  });
  const wallSeconds = (Date.now() - started) / 1000;
  const adapter = join(o.work, o.domain, ADAPTER_FILE);
  const base = await heldoutPerplexity(o.base, data.heldout, { threads: o.threads });
  const tuned = await heldoutPerplexity(o.base, data.heldout, { threads: o.threads, lora: [{ filePath: adapter }] });
  return {
    domain: o.domain,
    trainSamples: data.train.length,
    heldoutSamples: data.heldout.length,
    steps: run.steps,
    trainSeconds: run.trainSeconds,
    wallSeconds,
    basePerplexity: base.perplexity,
    tunedPerplexity: tuned.perplexity,
    drop: (base.perplexity - tuned.perplexity) / base.perplexity,
  };
}

/** Held-out perplexity over some conversations: exp(mean negative log-likelihood per scored token). */
export interface HeldoutPerplexity {
  readonly perplexity: number;
  readonly scoredTokens: number;
  readonly conversations: number;
}

export interface BaseReport {
  readonly schemaVersion: 1;
  /** Over every domain's first HELDOUT_PER_DOMAIN_SCORED held-out conversations, and per domain. */
  readonly heldout: HeldoutPerplexity & {
    readonly domains: readonly (HeldoutPerplexity & { readonly name: string })[];
  };
  readonly transcripts: {
    readonly domain: string;
    readonly user: string;
    readonly reply: string;
    readonly tokens: number;
    readonly stoppedAtEndOfTurn: boolean;
  }[];
  readonly specialisation: Specialisation[];
  readonly seconds: number;
}

/** The perplexity of several parts together: exp of the token-weighted mean of their log-perplexities. */
export function pooledPerplexity(parts: readonly HeldoutPerplexity[]): HeldoutPerplexity {
  const scoredTokens = parts.reduce((n, p) => n + p.scoredTokens, 0);
  const nll = parts.reduce((s, p) => s + Math.log(p.perplexity) * p.scoredTokens, 0);
  return {
    perplexity: Math.exp(nll / scoredTokens),
    scoredTokens,
    conversations: parts.reduce((n, p) => n + p.conversations, 0),
  };
}

export async function baseReport(o: {
  out: string;
  work: string;
  threads?: number;
  log?: (line: string) => void;
}): Promise<BaseReport> {
  const started = Date.now();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const model = join(o.out, BASE_FILE);
  const record = JSON.parse(readFileSync(join(o.out, BASE_RECORD), 'utf8')) as PretrainRecord;
  const heldout = readFileSync(corpusFiles(o.work).heldout, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { messages: { role: string; content: string }[]; domain: string });

  // The first few held-out conversations of every domain (llama.cpp returns a full distribution per scored token),
  // measured domain by domain so a check can re-measure a few domains instead of all.
  const names = [...new Set(heldout.map((h) => h.domain))];
  const domains = [];
  for (const name of names) {
    const scored = heldout.filter((h) => h.domain === name).slice(0, HELDOUT_PER_DOMAIN_SCORED);
    const r = await heldoutPerplexity(model, scored, { threads: o.threads });
    domains.push({ name, perplexity: r.perplexity, scoredTokens: r.scoredTokens, conversations: r.conversations });
  }
  const ppl = pooledPerplexity(domains);
  log(`held-out perplexity ${ppl.perplexity.toFixed(3)} over ${ppl.scoredTokens} assistant tokens`);

  // Transcripts: the first held-out conversation of each card domain, up to its first user turn.
  const prompts = CARD_DOMAINS.map((domain) => {
    const c = heldout.find((h) => h.domain === domain);
    if (!c) throw new Error(`no held-out conversation for ${domain}`);
    return c.messages.slice(0, 2);
  });
  const replies = await greedyChatReplies(model, prompts, { maxTokens: 200, threads: o.threads });
  const transcripts = CARD_DOMAINS.map((domain, i) => ({
    domain,
    user: prompts[i]?.[1]?.content ?? '',
    reply: replies[i]?.text ?? '',
    tokens: replies[i]?.tokens ?? 0,
    stoppedAtEndOfTurn: replies[i]?.stoppedAtEndOfTurn ?? false,
  }));

  const specialisation: Specialisation[] = [];
  for (const domain of CARD_DOMAINS) {
    const s = await specialise({ base: model, domain, work: join(o.work, 'specialise'), threads: o.threads, log });
    log(
      `${domain}: perplexity ${s.basePerplexity.toFixed(3)} → ${s.tunedPerplexity.toFixed(3)} (${(s.drop * 100).toFixed(1)}% lower) after ${s.trainSeconds.toFixed(0)} s of LoRA`,
    );
    specialisation.push(s);
  }

  const report: BaseReport = {
    schemaVersion: 1,
    heldout: { ...ppl, domains },
    transcripts,
    specialisation,
    seconds: (Date.now() - started) / 1000,
  };
  await writeJsonAtomic(join(o.out, 'base-report.json'), report);
  await writeFileAtomic(join(o.out, 'loss.svg'), lossChart(join(o.out, 'pretrain-metrics.jsonl')));
  await writeFileAtomic(join(o.out, 'MODEL_CARD.md'), modelCard(record, report));
  return report;
}

function lossChart(metricsFile: string): string {
  const rows = readMetrics(metricsFile);
  return lineChart(
    [
      { name: 'train loss', points: rows.map((r) => [r.step, r.loss] as const) },
      {
        name: 'held-out loss',
        points: rows.filter((r) => r.evalLoss !== undefined).map((r) => [r.step, r.evalLoss as number] as const),
      },
    ],
    { title: 'meetara-tiny pretraining', xLabel: 'step', yLabel: 'loss (nats per token)' },
  );
}

const f = (x: number, d = 2) => x.toFixed(d);

function modelCard(r: PretrainRecord, b: BaseReport): string {
  const c = r.config;
  const t = r.training;
  const lines = [
    '# meetara-tiny: the embedded base model',
    '',
    'A tiny chat model made from scratch by this project, so that `npm run demo` and the tests run anywhere with no',
    'download. Everything below was measured by `npm run make-base` (pretrain, then base-report); this file is',
    'generated from `base.json` and `base-report.json`.',
    '',
    '## Model',
    '',
    `- Architecture: llama, dim ${c.dim}, ${c.layers} layers, ${c.heads} heads (${c.kvHeads} KV heads), ffn ${c.ffn}, context ${c.contextLength}`,
    `- Parameters: ${r.parameters.toLocaleString('en-US')}; shipped as F16 GGUF with the ChatML template embedded`,
    `- Tokenizer: byte-fallback BPE trained on the corpus, ${r.tokenizer.vocab} tokens (${r.tokenizer.merges} merges, ${r.tokenizer.baseChars} base characters), stored as an SPM-style llama vocabulary; tokenization is identical to llama.cpp's`,
    '',
    '## Corpus',
    '',
    `- Generated conversations from the data engine over all ${r.corpus.domains} domains (seed ${r.seed}), rendered with the chat template: ${r.corpus.trainConversations.toLocaleString('en-US')} conversations, ${r.corpus.characters.toLocaleString('en-US')} characters, ${r.corpus.tokens.toLocaleString('en-US')} tokens.`,
    `- Held out: every domain's held-out situations (every 5th situation template), ${r.corpus.heldoutConversations.toLocaleString('en-US')} conversations, never trained on.`,
    '- No other text: nothing general-purpose is bundled, so the model only knows the domains it was taught.',
    '',
    '## Training',
    '',
    `- Full training of every weight on every token (\`finetune --full --loss-on all\`), AdamW, cosine schedule, peak lr ${t.lr}, ${t.steps} steps of ${t.rowsPerStep} rows × ${t.seqLen} tokens.`,
    `- ${t.trainedTokens.toLocaleString('en-US')} tokens trained in ${f(t.wallSeconds / 60, 1)} minutes on ${t.workers} data-parallel workers (${t.cpu}): ${f(t.tokensPerSecond, 0)} tokens/s.`,
    `- Final loss: train ${f(t.finalTrainLoss, 3)}, held-out ${t.finalEvalLoss === null ? 'not measured' : f(t.finalEvalLoss, 3)} (nats per token, all tokens).`,
    `- make-base took ${f(r.totalSeconds / 60, 1)} minutes in all.`,
    '',
    '![loss curve](loss.svg)',
    '',
    '## Held-out perplexity (llama.cpp)',
    '',
    `${f(b.heldout.perplexity, 3)}, measured by llama.cpp (node-llama-cpp) over ${b.heldout.scoredTokens.toLocaleString('en-US')} assistant-reply tokens of ${b.heldout.conversations} held-out conversations (the first ${HELDOUT_PER_DOMAIN_SCORED} of each domain's), each token given the conversation before it.`,
    '',
    '## Greedy transcripts (llama.cpp, embedded template)',
    '',
    ...b.transcripts.flatMap((x) => [
      `### ${x.domain}`,
      '',
      `**User:** ${x.user}`,
      '',
      `**meetara-tiny:** ${x.reply}`,
      '',
      `_${x.tokens} tokens, ${x.stoppedAtEndOfTurn ? 'stopped at the end-of-turn token' : 'cut at the token limit'}._`,
      '',
    ]),
    '## Specialisation: LoRA on one domain',
    '',
    `LoRA (rank ${SPECIALISE_DEFAULTS.rank}) on ${SPECIALISE_DEFAULTS.samples} generated samples of the domain (seed ${SPECIALISE_DEFAULTS.seed}), then held-out perplexity of the domain's unseen situations, measured by llama.cpp with the adapter against without.`,
    '',
    '| domain | steps | LoRA time (s) | base perplexity | with adapter | lower by |',
    '|---|---|---|---|---|---|',
    ...b.specialisation.map(
      (s) =>
        `| ${s.domain} | ${s.steps} | ${f(s.trainSeconds, 0)} | ${f(s.basePerplexity, 3)} | ${f(s.tunedPerplexity, 3)} | ${f(s.drop * 100, 1)}% |`,
    ),
    '',
    '## Reproduce',
    '',
    '`npm run make-base` regenerates the corpus from the seed, retrains the tokenizer and the model, and rewrites this card.',
    '',
  ];
  return lines.join('\n');
}
