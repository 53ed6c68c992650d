// `meetara train` (npm run train), the GPU side, top to bottom:
//   1. resolve: domains, --data imports, the base (converted from an HF folder if needed, and loaded in llama.cpp)
//   2. device: nvidia-smi and the GPU catalog give the backend and the price
//   3. package folder: a new out/colab_trinity_<timestamp>/, or the unfinished one under --resume
//   4. plan: tokens, steps, time, exact sizes and cost, before any GPU time; the budget guard refuses early
//   5. per domain: data → train → export → eval (train-domain.ts), its result saved after each domain
//   6. cost.json, run_report.json (predicted against actual), download_package.json with every file's sha256
//   7. --archive: one .tar of the package

import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { type CatalogDomain, domainByName, resolveDomains } from '../data/catalog.ts';
import { importChatData } from '../data/import.ts';
import { InputError } from '../errors.ts';
import { loadModel } from '../eval/llama.ts';
import { GgufFile } from '../gguf/reader.ts';
import { convertHfToGguf } from '../model/convert.ts';
import { DEFAULT_EFFECTIVE_BATCH } from '../trainer/finetune.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.ts';
import { buildCostReport, checkBudget, formatUsd, type PhaseTime, type Schedule } from './cost.ts';
import { type DetectedDevice, detectDevice } from './gpu-catalog.ts';
import { DEFAULT_BASE, parameterCount } from './make-base.ts';
import { sha256File, writeTar } from './package-files.ts';
import { planRun, type RunPlan, recordThroughput } from './plan.ts';
import { type DomainDataSource, type DomainResult, domainPaths, trainDomain } from './train-domain.ts';
import { PACKAGE_MANIFEST, type TransferPackage, writeTransferPackage } from './transfer-package.ts';

export const PACKAGE_PREFIX = 'colab_trinity_';
export const STATE_FILE = 'run_state.json';

/** Small settings for smoke tests and demos (a few minutes on 2 cores). */
export const QUICK = {
  samples: 40,
  heldout: 20,
  steps: 8,
  rowsPerStep: 8,
  seqLen: 256,
  rank: 8,
  checkpointEvery: 4,
} as const;
export const TRAIN_DEFAULTS = { samples: 1000, rank: 8, lr: 1e-3, epochs: 1, seqLen: 512, liteType: 'Q4_K_M' };

export interface TrainWorkflowOptions {
  readonly domains?: string;
  readonly samples?: number;
  /** DOMAIN=FILE (replace generated data) or DOMAIN+=FILE (extend it). */
  readonly data?: readonly string[];
  readonly base?: string;
  readonly rank?: number;
  readonly lr?: number;
  readonly epochs?: number;
  readonly seqLen?: number;
  readonly liteType?: string;
  readonly gpu?: string;
  readonly gpuPrice?: number;
  readonly budgetUsd?: number;
  readonly force?: boolean;
  readonly schedule?: Schedule;
  readonly out?: string;
  readonly archive?: boolean;
  readonly resume?: boolean;
  readonly quick?: boolean;
  /** Time a few steps for the plan even when an earlier run recorded this device's throughput. */
  readonly calibrate?: boolean;
  readonly seed?: number;
  readonly nvidiaSmi?: string;
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

/** What decides a run's outputs; a resumed run must agree with it. */
const RunSettingsSchema = z.object({
  domains: z.array(z.string()),
  imports: z.record(z.string(), z.object({ file: z.string(), mode: z.enum(['replace', 'extend']) })),
  base: z.object({ file: z.string(), sha256: z.string() }),
  samples: z.number(),
  heldout: z.number(),
  seed: z.number(),
  rank: z.number(),
  lr: z.number(),
  epochs: z.number(),
  steps: z.number().optional(),
  rowsPerStep: z.number(),
  seqLen: z.number(),
  liteType: z.string(),
  quick: z.boolean(),
});
type RunSettings = z.infer<typeof RunSettingsSchema>;

const RunStateSchema = z.object({
  schemaVersion: z.literal(1),
  started: z.string(),
  settings: RunSettingsSchema,
  finished: z.array(z.custom<DomainResult>()),
});
type RunState = z.infer<typeof RunStateSchema>;

export interface TrainWorkflowResult {
  readonly packageDir: string;
  readonly manifest: TransferPackage;
  readonly archive: string | null;
}

export async function trainWorkflow(o: TrainWorkflowOptions): Promise<TrainWorkflowResult> {
  const started = Date.now();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const out = o.out ?? 'out';

  // 1. Resolve what to train, failing fast on bad input.
  const { domains, imports } = await resolveDomainsAndData(o);
  const folder = findPackageFolder(out, o.resume ?? false);
  mkdirSync(folder.path, { recursive: true });
  const baseFile = await resolveBase(o.base ?? DEFAULT_BASE, join(folder.path, 'base'), log);
  const settings = runSettings(o, domains, imports, `base/${basename(baseFile)}`, await sha256File(baseFile));
  const state = loadOrStartState(folder.path, settings, folder.resuming);

  // 2. Device and price.
  const device = await detectDevice({ gpu: o.gpu, nvidiaSmi: o.nvidiaSmi, gpuPrice: o.gpuPrice });
  log(
    `device: ${device.name}${device.note ? ` (${device.note})` : ''}, ${device.usdPerHour}/h from ${device.priceSource}`,
  );

  // 4. Plan and budget, before any training.
  const plan = await planRun({
    base: join(folder.path, settings.base.file),
    baseSha: settings.base.sha256,
    settings,
    device,
    out,
    calibrate: o.calibrate,
    log,
  });
  await writeJsonAtomic(join(folder.path, 'plan.json'), plan);
  log(`plan: ${plan.totalSeconds.toFixed(0)} s predicted, ${formatUsd(plan.totalUsd)}`);
  const warning = checkBudget(plan.totalUsd, o.budgetUsd, o.force ?? false);
  if (warning) log(warning);

  // 5. Domains, in order; a finished domain is never redone.
  const base = join(folder.path, settings.base.file);
  for (const domain of domains) {
    if (state.finished.some((r) => r.name === domain.name)) {
      log(`${domain.name}: finished in the earlier run, kept`);
      continue;
    }
    const result = await trainDomain(
      folder.path,
      base,
      domain,
      sourceOf(domain, imports),
      {
        samples: settings.samples,
        heldout: settings.heldout,
        seed: settings.seed,
        rank: settings.rank,
        lr: settings.lr,
        epochs: settings.epochs,
        steps: settings.steps,
        rowsPerStep: settings.rowsPerStep,
        seqLen: settings.seqLen,
        liteType: settings.liteType,
        backend: device.device === 'gpu' ? 'tensorflow' : 'auto',
        nvidiaSmi: o.nvidiaSmi,
        threads: o.threads ?? availableParallelism(),
        checkpointEvery: settings.quick ? QUICK.checkpointEvery : undefined,
      },
      log,
    );
    state.finished.push(result);
    await saveState(folder.path, state);
  }

  // 6. Record this device's throughput for the next plan; then cost, report and manifest.
  const trainSeconds = state.finished.reduce((n, r) => n + r.phases.train, 0);
  if (trainSeconds > 0) {
    await recordThroughput(out, device, settings.base.sha256, {
      tokensPerSecond: state.finished.reduce((n, r) => n + r.run.trainedTokens, 0) / trainSeconds,
      overheadSecondsPerDomain:
        state.finished.reduce((n, r) => n + r.phases.data + r.phases.export + r.phases.eval, 0) / state.finished.length,
    });
  }
  const phases: PhaseTime[] = state.finished.flatMap((r) =>
    Object.entries(r.phases).map(([phase, seconds]) => ({ domain: r.name, phase, seconds })),
  );
  const cost = buildCostReport({ device, phases, schedule: o.schedule ?? 'weekly' });
  await writeJsonAtomic(join(folder.path, 'cost.json'), cost);
  const totalSeconds = (Date.now() - started) / 1000;
  await writeFileAtomic(
    join(folder.path, 'run_report.json'),
    `${JSON.stringify(runReport(folder.path, plan, state, cost.totalUsd, totalSeconds), null, 2)}\n`,
  );
  const manifest = await writeTransferPackage(folder.path, {
    schemaVersion: 1,
    package_type: 'colab_to_local_transfer',
    created: new Date().toISOString(),
    device: deviceEntry(device),
    base: {
      file: settings.base.file,
      sha256: settings.base.sha256,
      architecture: plan.architecture,
      parameters: parameterCount(base),
    },
    domains: state.finished.map((r) =>
      domainEntry(r, settings.liteType, cost.domains[r.name]?.usd ?? 0, cost.domains[r.name]?.seconds ?? 0),
    ),
    workflow_metrics: {
      total_seconds: totalSeconds,
      samples_per_second: state.finished.reduce((n, r) => n + r.card.train, 0) / totalSeconds,
      domains_per_minute: state.finished.length / (totalSeconds / 60),
      total_cost_usd: cost.totalUsd,
    },
    plan: 'plan.json',
    cost: 'cost.json',
  });
  log(`package: ${join(folder.path, PACKAGE_MANIFEST)}`);

  // 7. Archive.
  let archive: string | null = null;
  if (o.archive) {
    archive = `${folder.path}.tar`;
    await writeTar(folder.path, archive);
    log(`archive: ${archive}`);
  }
  return { packageDir: folder.path, manifest, archive };
}

async function resolveDomainsAndData(o: TrainWorkflowOptions) {
  const domains = resolveDomains(o.domains ?? 'healthcare,mental_health,business,education').map(domainByName);
  const imports = await parseDataOptions(o.data ?? [], domains);
  if (o.samples !== undefined && (!Number.isInteger(o.samples) || o.samples <= 0)) {
    throw new InputError(`--samples must be a positive integer, got ${o.samples}`);
  }
  return { domains, imports };
}

function runSettings(
  o: TrainWorkflowOptions,
  domains: readonly CatalogDomain[],
  imports: RunSettings['imports'],
  baseFile: string,
  baseSha: string,
): RunSettings {
  const samples = o.samples ?? (o.quick ? QUICK.samples : TRAIN_DEFAULTS.samples);
  return {
    domains: domains.map((d) => d.name),
    imports,
    base: { file: baseFile, sha256: baseSha },
    samples,
    heldout: o.quick ? QUICK.heldout : Math.max(20, Math.round(samples / 10)),
    seed: o.seed ?? 0,
    rank: o.rank ?? (o.quick ? QUICK.rank : TRAIN_DEFAULTS.rank),
    lr: o.lr ?? TRAIN_DEFAULTS.lr,
    epochs: o.epochs ?? TRAIN_DEFAULTS.epochs,
    steps: o.quick ? QUICK.steps : undefined,
    rowsPerStep: o.quick ? QUICK.rowsPerStep : DEFAULT_EFFECTIVE_BATCH,
    seqLen: o.seqLen ?? (o.quick ? QUICK.seqLen : TRAIN_DEFAULTS.seqLen),
    liteType: o.liteType ?? TRAIN_DEFAULTS.liteType,
    quick: o.quick ?? false,
  };
}

/** `meetara plan`: the prediction train would make, without training (the base is only read, or converted). */
export async function planWorkflow(o: TrainWorkflowOptions): Promise<RunPlan> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { domains, imports } = await resolveDomainsAndData(o);
  const scratch = mkdtempSync(join(tmpdir(), 'meetara-plan-'));
  try {
    const base = await resolveBase(o.base ?? DEFAULT_BASE, scratch, log);
    const settings = runSettings(o, domains, imports, basename(base), await sha256File(base));
    const device = await detectDevice({ gpu: o.gpu, nvidiaSmi: o.nvidiaSmi, gpuPrice: o.gpuPrice });
    const plan = await planRun({
      base,
      baseSha: settings.base.sha256,
      settings,
      device,
      out: o.out ?? 'out',
      calibrate: o.calibrate,
      log,
    });
    const warning = checkBudget(plan.totalUsd, o.budgetUsd, o.force ?? false);
    if (warning) log(warning);
    return plan;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * --data DOMAIN=FILE (replace) or DOMAIN+=FILE (extend): the domain must be one being trained, and the file must
 * read cleanly (every malformed line is named, before any work starts).
 */
async function parseDataOptions(
  values: readonly string[],
  domains: readonly CatalogDomain[],
): Promise<Record<string, { file: string; mode: 'replace' | 'extend' }>> {
  const out: Record<string, { file: string; mode: 'replace' | 'extend' }> = {};
  for (const v of values) {
    const m = /^([a-z_]+)(\+?)=(.+)$/.exec(v);
    if (!m)
      throw new InputError(`--data ${v}: expected DOMAIN=FILE (replace generated data) or DOMAIN+=FILE (extend it)`);
    const name = domainByName(m[1] as string).name;
    if (!domains.some((d) => d.name === name)) {
      throw new InputError(`--data ${v}: ${name} is not among --domains (${domains.map((d) => d.name).join(', ')})`);
    }
    const file = m[3] as string;
    const result = await importChatData(file, 'auto');
    const malformed = result.rejected.filter((r) => !r.reason.startsWith('near-duplicate'));
    if (malformed.length > 0) {
      const shown = malformed.slice(0, 3).map((r) => `line ${r.line}: ${r.reason}`);
      const more = malformed.length > 3 ? ` (and ${malformed.length - 3} more)` : '';
      throw new InputError(`--data ${v}: ${shown.join('; ')}${more}; fix or remove these lines`);
    }
    out[name] = { file, mode: m[2] ? 'extend' : 'replace' };
  }
  return out;
}

function sourceOf(domain: CatalogDomain, imports: RunSettings['imports']): DomainDataSource {
  const i = imports[domain.name];
  return i ? { import: i } : {};
}

/** The package folders in `out` that have no manifest yet (runs that were interrupted), oldest first. */
export function unfinishedRuns(out: string): string[] {
  const entries = existsSync(out) ? readdirSync(out) : [];
  return entries
    .filter((e) => e.startsWith(PACKAGE_PREFIX) && statSync(join(out, e)).isDirectory())
    .filter((p) => !existsSync(join(out, p, PACKAGE_MANIFEST)))
    .sort();
}

/** The package folder: a fresh timestamped one, or under --resume the newest unfinished one. */
function findPackageFolder(out: string, resume: boolean): { path: string; resuming: boolean } {
  const entries = existsSync(out) ? readdirSync(out) : [];
  const unfinished = unfinishedRuns(out);
  const foreign = entries.filter((e) => !e.startsWith(PACKAGE_PREFIX) && !e.startsWith('.'));
  if (resume) {
    const last = unfinished.at(-1);
    if (!last) throw new InputError(`--resume: ${out} holds no unfinished run to continue`);
    return { path: join(out, last), resuming: true };
  }
  if (unfinished.length > 0) {
    throw new InputError(
      `${join(out, unfinished.at(-1) as string)} is an unfinished run; pass --resume to continue it, or choose another --out`,
    );
  }
  if (foreign.length > 0) {
    throw new InputError(
      `--out ${out} is not empty and holds no resumable run (found ${foreign[0]}); choose another --out`,
    );
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return { path: join(out, `${PACKAGE_PREFIX}${stamp}`), resuming: false };
}

/** Links (or copies) a GGUF base into `dir`, converting an HF folder first; it must load in llama.cpp. */
async function resolveBase(base: string, dir: string, log: (line: string) => void): Promise<string> {
  if (!existsSync(base)) throw new InputError(`--base ${base} does not exist`);
  mkdirSync(dir, { recursive: true });
  let target: string;
  if (statSync(base).isDirectory()) {
    target = join(dir, `${basename(base)}.gguf`);
    if (!existsSync(target)) {
      log(`converting ${base} to GGUF`);
      await convertHfToGguf(base, target);
    }
  } else {
    target = join(dir, basename(base));
    if (!existsSync(target)) {
      try {
        linkSync(base, target);
      } catch {
        copyFileSync(base, target);
      }
    }
  }
  // Our parser first (it names what is wrong, and fast), then llama.cpp itself.
  try {
    GgufFile.open(target).close();
    const model = await loadModel(target);
    await model.dispose();
  } catch (err) {
    throw new InputError(`--base ${base} is not a model llama.cpp can load: ${(err as Error).message.split('\n')[0]}`);
  }
  return target;
}

function loadOrStartState(pkg: string, settings: RunSettings, resuming: boolean): RunState {
  const path = join(pkg, STATE_FILE);
  if (!resuming || !existsSync(path))
    return { schemaVersion: 1, started: new Date().toISOString(), settings, finished: [] };
  const state = RunStateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  for (const [k, v] of Object.entries(settings)) {
    const was = state.settings[k as keyof RunSettings];
    if (JSON.stringify(was) !== JSON.stringify(v)) {
      throw new InputError(
        `--resume ${pkg}: the run was started with ${k} ${JSON.stringify(was)}, not ${JSON.stringify(v)}; use the same options`,
      );
    }
  }
  return state;
}

async function saveState(pkg: string, state: RunState): Promise<void> {
  await writeJsonAtomic(join(pkg, STATE_FILE), state);
}

function deviceEntry(d: DetectedDevice): TransferPackage['device'] {
  return {
    backend: d.device === 'gpu' ? 'tensorflow (CUDA)' : 'wasm (CPU)',
    gpu: d.device === 'gpu' ? d.name : null,
    gpu_memory_bytes: d.memoryBytes,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
  };
}

function domainEntry(
  r: DomainResult,
  liteType: string,
  usd: number,
  seconds: number,
): TransferPackage['domains'][number] {
  const p = domainPaths(r.name);
  return {
    name: r.name,
    category: r.category,
    data: {
      train: p.train,
      heldout: p.heldout,
      card: p.card,
      samples: r.card.train,
      heldoutSamples: r.card.heldout,
      distinct2: r.card.distinct2,
      nearDuplicateRate: r.card.nearDuplicateRate,
      tokens: r.card.totalTokens,
    },
    files: { adapter: p.adapter, peft_adapter: p.peftAdapter, peft_config: p.peftConfig, full: p.full, lite: p.lite },
    lite_type: liteType,
    metrics: {
      train_loss: r.run.finalTrainLoss,
      heldout_loss: r.run.finalEvalLoss,
      base_perplexity: r.basePerplexity,
      tuned_perplexity: r.tunedPerplexity,
      trained_tokens: r.run.trainedTokens,
      steps: r.run.steps,
      tokens_per_second: r.run.tokensPerSecond,
      wall_seconds: r.run.wallSeconds,
    },
    cost: { seconds, usd },
  };
}

/** Predicted against actual: time, every output's size, and cost. */
function runReport(pkg: string, plan: RunPlan, state: RunState, actualUsd: number, totalSeconds: number) {
  const sizes = state.finished.flatMap((r) => {
    const p = domainPaths(r.name);
    const predicted = plan.domains.find((d) => d.name === r.name)?.sizes;
    const predictedOf = { adapter: predicted?.adapterGguf, full: predicted?.full, lite: predicted?.lite };
    return (['adapter', 'full', 'lite'] as const).map((k) => {
      const actual = statSync(join(pkg, p[k])).size;
      const want = predictedOf[k] ?? 0;
      return { domain: r.name, file: p[k], predictedBytes: want, actualBytes: actual, error: (actual - want) / actual };
    });
  });
  const actualTrainSeconds = state.finished.reduce((n, r) => n + r.phases.train, 0);
  return {
    schemaVersion: 1,
    time: {
      predictedTrainSeconds: plan.trainSeconds,
      actualTrainSeconds,
      predictedTotalSeconds: plan.totalSeconds,
      actualTotalSeconds: totalSeconds,
    },
    sizes,
    cost: { predictedUsd: plan.totalUsd, actualUsd },
  };
}
