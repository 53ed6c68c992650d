// One domain of `meetara train`, phase by phase, each timed for cost.json:
//   data     generate (or import) conversations → data/{train,heldout}.jsonl and the data card
//   train    LoRA fine-tune from the base (resumes from the trainer's checkpoint)
//   export   adapter.gguf + PEFT (from the trainer), full.gguf (merged F16), lite.gguf (the quant engine)
//   eval     held-out perplexity through llama.cpp: the base against the base with the adapter

import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogDomain } from '../data/catalog.ts';
import { type CardSample, type DomainCard, domainCard } from '../data/data-card.ts';
import { generatedCard, importedDataset, sampleRow, writeDomainDataset } from '../data/dataset.ts';
import { generate } from '../data/generate.ts';
import { importChatData } from '../data/import.ts';
import { heldoutPerplexity } from '../eval/perplexity.ts';
import { quantizeFile } from '../quant/quantize-file.ts';
import type { BackendChoice } from '../trainer/backend.ts';
import { CHECKPOINT_FILE, hasCheckpoint } from '../trainer/checkpoint.ts';
import { ADAPTER_FILE, MERGED_FILE } from '../trainer/export.ts';
import { DEFAULT_EFFECTIVE_BATCH, finetune, type RunReport } from '../trainer/finetune.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../trainer/peft.ts';

/** Files of one domain inside the package, relative to the package root. */
export function domainPaths(domain: string) {
  const root = `domains/${domain}`;
  return {
    root,
    data: `${root}/data`,
    train: `${root}/data/train.jsonl`,
    heldout: `${root}/data/heldout.jsonl`,
    card: `${root}/data/data_card.json`,
    adapter: `${root}/${ADAPTER_FILE}`,
    peftAdapter: `${root}/${PEFT_WEIGHTS_FILE}`,
    peftConfig: `${root}/${PEFT_CONFIG_FILE}`,
    full: `${root}/full.gguf`,
    lite: `${root}/lite.gguf`,
  };
}

/** How one domain's data is made: generated, or imported (replacing or extending generated data). */
export interface DomainDataSource {
  readonly import?: { readonly file: string; readonly mode: 'replace' | 'extend' };
}

export interface TrainSettingsForDomain {
  readonly samples: number;
  readonly heldout: number;
  readonly seed: number;
  readonly rank: number;
  readonly lr: number;
  readonly epochs: number;
  readonly steps?: number;
  /** Rows per optimizer step; the micro-batch is the memory model's choice. */
  readonly rowsPerStep: number;
  readonly seqLen: number;
  readonly liteType: string;
  readonly backend?: BackendChoice;
  readonly allowCpu?: boolean;
  readonly nvidiaSmi?: string;
  readonly threads?: number;
  readonly checkpointEvery?: number;
}

export interface DomainResult {
  readonly name: string;
  readonly category: string;
  readonly card: DomainCard;
  readonly run: Pick<
    RunReport,
    'steps' | 'trainedTokens' | 'tokensPerSecond' | 'wallSeconds' | 'finalTrainLoss' | 'finalEvalLoss'
  >;
  readonly basePerplexity: number;
  readonly tunedPerplexity: number;
  /** Wall seconds of each phase, in order. */
  readonly phases: Record<'data' | 'train' | 'export' | 'eval', number>;
}

/** Runs every phase of one domain into `pkg/domains/<name>/`. */
export async function trainDomain(
  pkg: string,
  base: string,
  domain: CatalogDomain,
  source: DomainDataSource,
  s: TrainSettingsForDomain,
  log: (line: string) => void,
): Promise<DomainResult> {
  const paths = domainPaths(domain.name);
  const at = (rel: string) => join(pkg, rel);
  const phases = { data: 0, train: 0, export: 0, eval: 0 };
  const timed = async <T>(phase: keyof typeof phases, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      phases[phase] += (performance.now() - t0) / 1000;
    }
  };

  // data
  const { heldout, card } = await timed('data', async () => {
    const rows = await domainRows(domain, source, s);
    await writeDomainDataset(at(paths.data), rows.train, rows.heldout, rows.card);
    return rows;
  });
  log(`${domain.name}: ${card.train} train + ${card.heldout} held-out samples (distinct-2 ${card.distinct2})`);

  // train (the trainer writes adapter.gguf, the PEFT files and merged.gguf into the domain folder)
  const run = await timed('train', () =>
    finetune({
      base,
      data: at(paths.train),
      eval: at(paths.heldout),
      out: at(paths.root),
      resume: hasCheckpoint(at(paths.root)),
      force: !hasCheckpoint(at(paths.root)),
      rank: s.rank,
      alpha: s.rank * 2,
      lr: s.lr,
      epochs: s.epochs,
      steps: s.steps,
      ...rowsPerStepOptions(s.rowsPerStep),
      seqLen: s.seqLen,
      seed: s.seed,
      backend: s.backend,
      allowCpu: s.allowCpu,
      nvidiaSmi: s.nvidiaSmi,
      checkpointEvery: s.checkpointEvery ?? 25,
      evalEvery: 1000,
      log: (line) => log(`${domain.name}: ${line}`),
    }),
  );

  // export: the merged F16 model becomes full.gguf; the lite model comes from the quant engine.
  await timed('export', async () => {
    if (existsSync(at(`${paths.root}/${MERGED_FILE}`))) renameSync(at(`${paths.root}/${MERGED_FILE}`), at(paths.full));
    await quantizeFile(at(paths.full), at(paths.lite), { type: s.liteType, threads: s.threads, progress: false });
    rmSync(at(`${paths.root}/${CHECKPOINT_FILE}`), { force: true });
  });

  // eval
  const { basePpl, tunedPpl } = await timed('eval', async () => {
    const b = await heldoutPerplexity(base, heldout, { threads: s.threads });
    const t = await heldoutPerplexity(base, heldout, { threads: s.threads, lora: [{ filePath: at(paths.adapter) }] });
    return { basePpl: b.perplexity, tunedPpl: t.perplexity };
  });
  log(`${domain.name}: held-out perplexity ${basePpl.toFixed(3)} → ${tunedPpl.toFixed(3)} with the adapter`);

  return {
    name: domain.name,
    category: domain.category,
    card,
    run: {
      steps: run.steps,
      trainedTokens: run.trainedTokens,
      tokensPerSecond: run.tokensPerSecond,
      wallSeconds: run.wallSeconds,
      finalTrainLoss: run.finalTrainLoss,
      finalEvalLoss: run.finalEvalLoss,
    },
    basePerplexity: basePpl,
    tunedPerplexity: tunedPpl,
    phases,
  };
}

/** finetune's batch options for `rows` per step: its default when that is 16, else two micro-batches a step. */
export function rowsPerStepOptions(rows: number): { batch?: number; gradAccum?: number } {
  return rows === DEFAULT_EFFECTIVE_BATCH ? {} : { batch: Math.ceil(rows / 2), gradAccum: 2 };
}

/** Generated rows, imported rows, or both, with the card of what was kept (and of every rejected line). */
async function domainRows(
  domain: CatalogDomain,
  source: DomainDataSource,
  s: TrainSettingsForDomain,
): Promise<{ train: CardSample[]; heldout: CardSample[]; card: DomainCard }> {
  const result = source.import ? await importChatData(source.import.file, 'auto', domain.system_prompt) : undefined;
  const imported = result ? importedDataset(domain.name, domain.category, result) : undefined;
  if (imported && source.import?.mode === 'replace') return imported;
  const [d] = generate({
    domains: [domain.name],
    samplesPerDomain: s.samples,
    heldoutPerDomain: s.heldout,
    seed: s.seed,
  });
  if (!d) throw new Error(`no data generated for ${domain.name}`);
  if (!imported || !result)
    return { train: d.train.map(sampleRow), heldout: d.heldout.map(sampleRow), card: generatedCard(d) };
  const train = [...d.train.map(sampleRow), ...imported.train];
  const heldout = [...d.heldout.map(sampleRow), ...imported.heldout];
  const card = domainCard({
    domain: domain.name,
    category: domain.category,
    source: 'generated',
    train,
    heldout,
    generated: d.generated + result.accepted.length + result.nearDuplicates,
    nearDuplicates: d.nearDuplicates + result.nearDuplicates,
    heldoutSituations: d.heldoutSituations,
    rejected: [
      ...d.rejected,
      ...imported.card.rejected.map((r) => ({ ...r, reason: `import line ${r.index}: ${r.reason}` })),
    ],
  });
  return { train, heldout, card };
}
