// `finetune(options)`: LoRA (or full) fine-tuning of a GGUF model on chat JSONL, read top to bottom:
//   1. settings, output folder, resume     4. backend, GPU check, batch size from the memory model
//   2. data: validate, tokenize, pack       5. the loop: accumulate → average → clip → AdamW, checkpoints, eval
//   3. model replica(s) and optimizer        6. exports and run.json, every number in it measured
// Every step's rows come from a seeded stream, so an interrupted run resumed from its last checkpoint continues
// exactly where an uninterrupted one would have been.

import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { availableParallelism, cpus, freemem } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InputError, UsageError } from '../errors.ts';
import { fileTypeName } from '../gguf/constants.ts';
import { getString } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { chatEncoderFromGguf, type LossOn } from '../model/chat-encoder.ts';
import { configFromGguf, type ModelConfig } from '../model/config.ts';
import { parseQuantType } from '../quant/mixes.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { startProgress } from '../util/progress.ts';
import { type BackendChoice, type BackendSelection, selectBackend } from './backend.ts';
import {
  CHECKPOINT_FILE,
  type CheckpointState,
  hasCheckpoint,
  loadCheckpointTensors,
  readCheckpointState,
  saveCheckpoint,
} from './checkpoint.ts';
import { type EncodedData, loadChatData } from './data.ts';
import { GradEngine, type GradResult } from './engine.ts';
import { ADAPTER_FILE, MERGED_FILE, writeAdapters, writeMerged } from './export.ts';
import { trainingFlopsPerRow } from './flops.ts';
import { decideGpu, type GpuInfo, queryGpus, timedMatMulGflops } from './gpu.ts';
import { GradPool } from './grad-pool.ts';
import { LORA_TARGETS, type LoraTarget } from './lora.ts';
import { type BatchDecision, chooseMicroBatch, estimateMemory, fitsBudget, formatMiB, memoryBudget } from './memory.ts';
import { type AccumPlan, accumulateStep, type StepRunner } from './oom.ts';
import { AdamW, clipGradNorm } from './optimizer.ts';
import { type Batch, packRows, splitRows, stackRows } from './packing.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from './peft.ts';
import { learningRate, type ScheduleKind } from './schedule.ts';
import { RowStream } from './stream.ts';

export const METRICS_FILE = 'metrics.jsonl';
export const RUN_FILE = 'run.json';
/** Rows per optimizer step unless --batch and --grad-accum say otherwise. */
export const DEFAULT_EFFECTIVE_BATCH = 16;

export interface FinetuneOptions {
  /** Base model GGUF (taken from the checkpoint on resume). */
  readonly base?: string;
  /** Training data, chat JSONL (taken from the checkpoint on resume). */
  readonly data?: string;
  readonly eval?: string;
  readonly out: string;
  readonly rank?: number;
  readonly alpha?: number;
  readonly targets?: readonly LoraTarget[];
  readonly lr?: number;
  readonly warmup?: number;
  readonly schedule?: ScheduleKind;
  readonly epochs?: number;
  /** Total optimizer steps (overrides epochs). */
  readonly steps?: number;
  readonly seqLen?: number;
  /**
   * Rows per micro-batch (per worker), or 'auto' from the memory model. Rows per optimizer step are
   * batch × gradAccum when both are numbers, else 16; workers split them.
   */
  readonly batch?: number | 'auto';
  readonly gradAccum?: number | 'auto';
  readonly clip?: number;
  readonly weightDecay?: number;
  readonly seed?: number;
  readonly backend?: BackendChoice;
  /** Train every weight instead of a LoRA. */
  readonly full?: boolean;
  /** Tokens the loss counts: assistant replies (default) or all (pretraining). */
  readonly lossOn?: LossOn;
  /** Continue the run in `out` from its checkpoint. */
  readonly resume?: boolean;
  /** Start over in an `out` that holds another run. */
  readonly force?: boolean;
  /** Any bad JSONL line or over-long sample is fatal. */
  readonly strict?: boolean;
  /** Pack several samples per row (default) or pad one per row. */
  readonly pack?: boolean;
  readonly evalEvery?: number;
  readonly checkpointEvery?: number;
  /** Data-parallel workers on wasm/cpu (default: one per core; 1 trains in-process). */
  readonly workers?: number;
  /** llama-quantize type of merged.gguf (default F16). */
  readonly mergedType?: string;
  /** Train on the CPU even though a GPU is present and unused. */
  readonly allowCpu?: boolean;
  /** nvidia-smi to query (tests point this at a fake). */
  readonly nvidiaSmi?: string;
  /** Progress and decisions, one line each (default: stderr). */
  readonly log?: (line: string) => void;
  /** Called after each step (and its checkpoint) completes. */
  readonly onStep?: (s: StepMetrics) => void | Promise<void>;
  /** Called before each micro-batch runs; tests throw a real allocation failure here to exercise OOM recovery. */
  readonly beforeMicroBatch?: (step: number, rows: number, index: number) => void;
}

/** What decides the run's results; a resume must agree with it. */
export interface TrainSettings {
  readonly base: string;
  readonly data: string;
  readonly eval: string | null;
  readonly full: boolean;
  /** Absent in checkpoints written before it existed, which trained on assistant tokens. */
  readonly lossOn?: LossOn;
  readonly rank: number;
  readonly alpha: number;
  readonly targets: LoraTarget[];
  readonly lr: number;
  readonly warmup: number;
  readonly schedule: ScheduleKind;
  readonly steps: number;
  readonly seqLen: number;
  readonly rowsPerStep: number;
  readonly clip: number;
  readonly weightDecay: number;
  readonly seed: number;
  readonly pack: boolean;
  readonly evalEvery: number;
  readonly checkpointEvery: number;
  readonly mergedType: string;
}

export interface StepMetrics {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  readonly epoch: number;
  readonly microBatch: number;
  readonly gradAccum: number;
  readonly evalLoss?: number;
  readonly gpuMemoryUsedMiB?: number;
  readonly gpuUtilizationPercent?: number;
}

/** The step records of a run's metrics.jsonl, in order (one JSON object per line, as the loop appends them). */
export function readMetrics(path: string): StepMetrics[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const m = JSON.parse(line) as StepMetrics;
      if (typeof m.step !== 'number' || typeof m.loss !== 'number') {
        throw new InputError(`${path}:${i + 1}: not a step record (no numeric step and loss)`);
      }
      return m;
    });
}

export interface RunReport {
  readonly schemaVersion: 1;
  readonly settings: TrainSettings;
  readonly device: {
    readonly backend: string;
    readonly package: string;
    readonly gpu: string | null;
    readonly onGpu: boolean;
    readonly workers: number;
    readonly cpu: string;
    readonly cores: number;
  };
  readonly data: {
    readonly samples: number;
    readonly badLines: number;
    readonly truncated: number;
    readonly rows: number;
    readonly evalSamples: number;
  };
  readonly batch: {
    readonly rowsPerStep: number;
    readonly microBatch: number;
    readonly gradAccum: number;
    readonly estimatedBytes: number;
    readonly decision: string;
    readonly oomRecoveries: number;
  };
  readonly steps: number;
  readonly trainedTokens: number;
  readonly trainSeconds: number;
  readonly wallSeconds: number;
  readonly tokensPerSecond: number;
  readonly gflopsPerSecond: number;
  readonly finalTrainLoss: number;
  readonly initialEvalLoss: number | null;
  readonly finalEvalLoss: number | null;
  readonly resumedFromStep: number | null;
  readonly outputs: Record<string, string>;
}

const RUN_FILES = [
  CHECKPOINT_FILE,
  METRICS_FILE,
  RUN_FILE,
  ADAPTER_FILE,
  MERGED_FILE,
  PEFT_WEIGHTS_FILE,
  PEFT_CONFIG_FILE,
];

const positiveInt = (v: number, name: string) => {
  if (!Number.isInteger(v) || v < 1) throw new InputError(`${name} must be a positive integer, got ${v}`);
  return v;
};

function fileIdentity(path: string, what: string): string {
  if (!existsSync(path)) throw new InputError(`${what} '${path}' does not exist`);
  return path;
}

/** Checks the output folder: empty, resumable, or forced clean. */
function prepareOutDir(o: FinetuneOptions): void {
  const found = RUN_FILES.filter((f) => existsSync(join(o.out, f)));
  if (o.resume) {
    if (!hasCheckpoint(o.out))
      throw new InputError(`--resume ${o.out}: no ${CHECKPOINT_FILE} there (nothing to resume)`);
    return;
  }
  if (found.length > 0 && !o.force) {
    throw new InputError(
      `--out ${o.out} holds another run (${found.join(', ')}); pass --resume ${o.out} to continue it or --force to start over`,
    );
  }
  for (const f of found) rmSync(join(o.out, f), { force: true });
  mkdirSync(o.out, { recursive: true });
}

function baseConfig(base: string): { config: ModelConfig; name: string } {
  fileIdentity(base, '--base');
  const file = GgufFile.open(base);
  try {
    const config = configFromGguf(
      file.metadata,
      file.tensors.map((t) => t.name),
      base,
    );
    const name = file.metadata.has('general.name') ? getString(file.metadata, 'general.name') : basename(base, '.gguf');
    return { config, name };
  } finally {
    file.close();
  }
}

/** Resolves options into settings (fresh run) or checks them against the checkpoint's (resume). */
function resolveSettings(o: FinetuneOptions, rowCount: number, stored?: TrainSettings): TrainSettings {
  const base = o.base as string;
  const data = o.data as string;
  const wanted: Partial<TrainSettings> = {
    base: o.base,
    data: o.data,
    eval: o.eval ?? null,
    full: o.full,
    lossOn: o.lossOn,
    rank: o.rank,
    alpha: o.alpha,
    targets: o.targets ? LORA_TARGETS.filter((t) => o.targets?.includes(t)) : undefined,
    lr: o.lr,
    warmup: o.warmup,
    schedule: o.schedule,
    seqLen: o.seqLen,
    clip: o.clip,
    weightDecay: o.weightDecay,
    seed: o.seed,
    pack: o.pack,
    mergedType: o.mergedType === undefined ? undefined : mergedTypeName(o.mergedType),
  };
  if (stored) {
    for (const [k, v] of Object.entries(wanted)) {
      if (v === undefined) continue;
      const s = stored[k as keyof TrainSettings];
      if (JSON.stringify(s) !== JSON.stringify(v)) {
        throw new InputError(
          `--resume ${o.out}: the run was started with ${k} ${JSON.stringify(s)}, not ${JSON.stringify(v)} (drop the option, or start a new run)`,
        );
      }
    }
    return stored;
  }
  const seqLen = positiveInt(o.seqLen ?? 512, '--seq-len');
  const micro = o.batch === undefined || o.batch === 'auto' ? undefined : positiveInt(o.batch, '--batch');
  const accum =
    o.gradAccum === undefined || o.gradAccum === 'auto' ? undefined : positiveInt(o.gradAccum, '--grad-accum');
  const rowsPerStep = micro !== undefined && accum !== undefined ? micro * accum : DEFAULT_EFFECTIVE_BATCH;
  const epochs = o.epochs ?? 1;
  if (!(epochs > 0)) throw new InputError(`--epochs must be positive, got ${epochs}`);
  const steps =
    o.steps !== undefined ? positiveInt(o.steps, '--steps') : Math.max(1, Math.ceil((epochs * rowCount) / rowsPerStep));
  const lr = o.lr ?? 2e-4;
  if (!(lr > 0)) throw new InputError(`--lr must be positive, got ${lr}`);
  const warmup = o.warmup ?? 0.05;
  if (!(warmup >= 0 && warmup < 1)) throw new InputError(`--warmup must be in [0, 1), got ${warmup}`);
  return {
    base,
    data,
    eval: o.eval ?? null,
    full: o.full ?? false,
    lossOn: o.lossOn ?? 'assistant',
    rank: positiveInt(o.rank ?? 8, '--rank'),
    alpha: o.alpha ?? 16,
    targets: wanted.targets ?? [...LORA_TARGETS],
    lr,
    warmup,
    schedule: o.schedule ?? 'cosine',
    steps,
    seqLen,
    rowsPerStep,
    clip: o.clip ?? 1.0,
    weightDecay: o.weightDecay ?? 0,
    seed: o.seed ?? 0,
    pack: o.pack ?? true,
    evalEvery: o.evalEvery ?? 100,
    checkpointEvery: positiveInt(o.checkpointEvery ?? 100, '--checkpoint-every'),
    mergedType: mergedTypeName(o.mergedType ?? 'F16'),
  };
}

/** The llama-quantize name of --merged-type, checked before any training time is spent. */
function mergedTypeName(type: string): string {
  try {
    return fileTypeName(parseQuantType(type));
  } catch (err) {
    throw new InputError(`--merged-type: ${(err as Error).message}`);
  }
}

/** Mean loss over `rows`, in micro-batches, without gradients. */
function evaluate(engine: GradEngine, rows: readonly Batch[], micro: number): number {
  let lossSum = 0;
  let tokens = 0;
  for (let i = 0; i < rows.length; i += micro) {
    const r = engine.evalLoss(stackRows(rows.slice(i, i + micro)));
    lossSum += r.lossSum;
    tokens += r.lossTokens;
  }
  return lossSum / tokens;
}

const realTokens = (b: Batch) => b.segments.reduce((n, s) => n + (s > 0 ? 1 : 0), 0);

export async function finetune(o: FinetuneOptions): Promise<RunReport> {
  const started = performance.now();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  // 1. Settings, output folder, resume.
  if (!o.resume && (!o.base || !o.data)) throw new UsageError('--base and --data are required for a new run');
  prepareOutDir(o);
  const resumeState: CheckpointState | undefined = o.resume ? readCheckpointState(o.out) : undefined;
  const stored = resumeState?.settings as TrainSettings | undefined;
  const base = (stored?.base ?? o.base) as string;
  const { config, name: baseName } = baseConfig(base);
  if (stored && o.base && o.base !== stored.base) {
    const other = baseConfig(o.base).config;
    if (other.arch !== config.arch) {
      throw new InputError(
        `--base ${o.base} is a '${other.arch}' model, but the adapter in ${o.out} was trained on a '${config.arch}' base (${stored.base}); an adapter only fits its own architecture`,
      );
    }
  }

  // 2. Data.
  const seqLenForData = stored?.seqLen ?? positiveInt(o.seqLen ?? 512, '--seq-len');
  const encoder = chatEncoderFromGguf(base);
  const dataPath = fileIdentity((stored?.data ?? o.data) as string, '--data');
  const lossOn = stored ? (stored.lossOn ?? 'assistant') : (o.lossOn ?? 'assistant');
  const train: EncodedData = loadChatData(dataPath, encoder, seqLenForData, o.strict, lossOn);
  for (const b of train.bad.slice(0, 5)) log(`${dataPath} line ${b.line} skipped: ${b.reason}`);
  if (train.bad.length > 5) log(`${dataPath}: ${train.bad.length - 5} more bad lines skipped`);
  if (train.truncated > 0)
    log(`${dataPath}: ${train.truncated} samples longer than --seq-len ${seqLenForData} were truncated`);
  const pack = stored?.pack ?? o.pack ?? true;
  const trainRows = packRows(train.samples, seqLenForData, pack);
  const settings = resolveSettings(o, trainRows.length, stored);
  if (settings.seqLen > config.contextLength) {
    log(`warning: --seq-len ${settings.seqLen} is longer than the model's context length ${config.contextLength}`);
  }
  const evalPath = settings.eval;
  const held = evalPath
    ? loadChatData(fileIdentity(evalPath, '--eval'), encoder, settings.seqLen, o.strict, lossOn)
    : undefined;
  const evalRows = held ? packRows(held.samples, settings.seqLen, settings.pack) : [];
  log(
    `data: ${train.samples.length} samples (${train.bad.length} bad lines, ${train.truncated} truncated) → ${trainRows.length} rows of ${settings.seqLen}; ` +
      `${train.lossTokens} ${lossOn === 'all' ? 'loss' : 'assistant'} tokens${held ? `; held-out ${held.samples.length} samples` : ''}`,
  );

  // 3. Backend and GPU check.
  const selection: BackendSelection = await selectBackend(o.backend ?? 'auto');
  log(selection.reason);
  const gpus: GpuInfo[] = await queryGpus(o.nvidiaSmi);
  const gflops = gpus.length > 0 ? await timedMatMulGflops(tf) : undefined;
  const gpuDecision = decideGpu({ gpus, backend: selection.name, matmulGflops: gflops, allowCpu: o.allowCpu ?? false });
  log(gpuDecision.message);
  const onGpu = gpuDecision.onGpu;
  const singleThreaded = selection.name !== 'tensorflow';
  const workers = singleThreaded ? positiveInt(o.workers ?? availableParallelism(), '--workers') : 1;

  // 4. Batch size: the memory model, or the user's numbers.
  const memInput = {
    config,
    seqLen: settings.seqLen,
    full: settings.full,
    rank: settings.rank,
    targets: settings.targets,
  };
  const budget = memoryBudget({
    backend: selection.name,
    gpu: onGpu ? gpus[0] : undefined,
    freeMemBytes: freemem(),
    workers,
  });
  let decision: BatchDecision = chooseMicroBatch(memInput, budget, settings.rowsPerStep, workers, onGpu);
  // --batch and/or --grad-accum fix the micro-batch; the rows per step stay --batch × --grad-accum, or 16.
  const userMicro =
    typeof o.batch === 'number'
      ? Math.min(o.batch, Math.ceil(settings.rowsPerStep / workers))
      : typeof o.gradAccum === 'number'
        ? Math.ceil(settings.rowsPerStep / (o.gradAccum * workers))
        : undefined;
  if (userMicro !== undefined) {
    const accum = Math.ceil(settings.rowsPerStep / (userMicro * workers));
    const estimate = estimateMemory({ ...memInput, microBatch: userMicro });
    decision = {
      microBatch: userMicro,
      gradAccum: accum,
      estimate,
      fits: fitsBudget(estimate, budget, onGpu),
      message: `batch: micro-batch ${userMicro} × ${accum} accumulation${workers > 1 ? ` × ${workers} workers` : ''} = ${settings.rowsPerStep} rows of ${settings.seqLen} tokens per step (as given); estimate ${formatMiB(estimate.totalBytes)} against ${budget.source}`,
    };
  }
  const plan: AccumPlan = resumeState?.plan ?? { microBatch: decision.microBatch, gradAccum: decision.gradAccum };
  log(decision.message);

  // 5. Model replica(s), trainable values, optimizer, data stream.
  const spec = {
    base,
    full: settings.full,
    rank: settings.rank,
    alpha: settings.alpha,
    targets: settings.targets,
    seed: settings.seed,
  };
  const engine = await GradEngine.create(spec);
  const pool = workers > 1 ? new GradPool(workers, spec, selection.name) : undefined;
  const master = engine.values();
  const named = engine.params.map((p, k) => ({ name: p.name, shape: p.shape, data: master[k] }));
  const opt = new AdamW(
    master.map((m) => m.length),
    { weightDecay: settings.weightDecay },
  );
  let step = 0;
  let tokensSeen = 0;
  let trainSeconds = 0;
  let stream = new RowStream(trainRows.length, settings.seed);
  if (resumeState) {
    loadCheckpointTensors(o.out, named, opt, resumeState.adamT);
    engine.setValues(master);
    step = resumeState.step;
    tokensSeen = resumeState.tokensSeen;
    trainSeconds = resumeState.trainSeconds;
    stream = new RowStream(trainRows.length, settings.seed, resumeState.stream);
    await dropMetricsAfter(join(o.out, METRICS_FILE), step);
    log(`resuming at step ${step} of ${settings.steps}`);
  }
  const resumedFromStep = resumeState ? step : null;

  const checkpoint = () =>
    saveCheckpoint(o.out, named, opt, {
      schemaVersion: 1,
      step,
      adamT: opt.t,
      stream: stream.state(),
      plan: { ...plan },
      tokensSeen,
      trainSeconds,
      settings: settings as unknown as Record<string, unknown>,
    });

  let oomRecoveries = 0;
  const runner: StepRunner<GradResult> = {
    parallel: workers,
    async computeGrads(micro, index) {
      o.beforeMicroBatch?.(step, micro.rows, index);
      if (!pool) return engine.grads(micro);
      return pool.grads(splitRows(micro, plan.microBatch), master, plan.microBatch);
    },
    accumulate(acc, next) {
      if (!acc) return next;
      acc.grads.forEach((g, k) => {
        const n = next.grads[k];
        for (let i = 0; i < g.length; i++) g[i] += n[i];
      });
      return { grads: acc.grads, lossSum: acc.lossSum + next.lossSum, lossTokens: acc.lossTokens + next.lossTokens };
    },
    discard() {},
    log: (m) => {
      oomRecoveries++;
      log(m);
    },
  };

  const flopsPerRow = trainingFlopsPerRow(memInput);
  // FLOPs and seconds of this session only: a resumed run's earlier steps are in trainSeconds but not in flops.
  let flops = 0;
  let sessionSeconds = 0;
  let lastLoss = Number.NaN;
  let initialEvalLoss: number | null = null;
  let finalEvalLoss: number | null = null;
  const evalMicro = Math.max(1, plan.microBatch);
  if (evalRows.length > 0 && step === 0) {
    initialEvalLoss = evaluate(engine, evalRows, evalMicro);
    log(`held-out loss before training: ${initialEvalLoss.toFixed(4)}`);
  }
  const gpuStatus = onGpu ? new GpuSampler(o.nvidiaSmi) : undefined;
  await pool?.warmUp(master, settings.seqLen);

  // 6. The loop.
  const progress = startProgress({ label: 'finetune', total: settings.steps, unit: 'steps' });
  try {
    while (step < settings.steps) {
      const t0 = performance.now();
      const batch = stackRows(stream.next(settings.rowsPerStep).map((i) => trainRows[i]));
      const summed = await accumulateStep(batch, plan, runner, step);
      const grads = summed.grads;
      for (const g of grads) for (let i = 0; i < g.length; i++) g[i] /= batch.lossTokens;
      const gradNorm = clipGradNorm(grads, settings.clip);
      const lr = learningRate(
        { kind: settings.schedule, lr: settings.lr, warmup: settings.warmup, totalSteps: settings.steps },
        step,
      );
      opt.step(master, grads, lr);
      engine.setValues(master);
      const seconds = (performance.now() - t0) / 1000;
      step++;
      const tokens = realTokens(batch);
      tokensSeen += tokens;
      trainSeconds += seconds;
      sessionSeconds += seconds;
      flops += flopsPerRow * batch.rows;
      lastLoss = summed.lossSum / batch.lossTokens;

      let evalLoss: number | undefined;
      if (evalRows.length > 0 && (step % settings.evalEvery === 0 || step === settings.steps)) {
        evalLoss = evaluate(engine, evalRows, evalMicro);
        finalEvalLoss = evalLoss;
      }
      const gpu = gpuStatus?.latest();
      const metrics: StepMetrics = {
        step,
        loss: lastLoss,
        lr,
        gradNorm,
        tokens,
        seconds,
        tokensPerSecond: tokens / seconds,
        epoch: stream.epochs,
        microBatch: plan.microBatch,
        gradAccum: plan.gradAccum,
        ...(evalLoss !== undefined ? { evalLoss } : {}),
        ...(gpu
          ? { gpuMemoryUsedMiB: gpu.memoryUsedBytes / 2 ** 20, gpuUtilizationPercent: gpu.utilizationPercent }
          : {}),
      };
      await appendFile(join(o.out, METRICS_FILE), `${JSON.stringify(metrics)}\n`);
      if (step % settings.checkpointEvery === 0 || step === settings.steps) await checkpoint();
      progress.update(
        step,
        `loss ${lastLoss.toFixed(4)} | ${Math.round(tokensSeen / trainSeconds)} tok/s | lr ${lr.toExponential(2)}` +
          (gpu ? ` | GPU ${(gpu.memoryUsedBytes / 2 ** 30).toFixed(1)} GiB ${gpu.utilizationPercent ?? '?'}%` : ''),
      );
      await o.onStep?.(metrics);
    }
  } finally {
    progress.stop();
    gpuStatus?.stop();
    await pool?.destroy();
  }

  // 7. Exports and run.json.
  if (evalRows.length > 0 && finalEvalLoss === null) finalEvalLoss = evaluate(engine, evalRows, evalMicro);
  const outputs: Record<string, string> = { metrics: METRICS_FILE, checkpoint: CHECKPOINT_FILE };
  if (engine.lora) {
    await writeAdapters(o.out, engine.lora, config, baseName);
    Object.assign(outputs, { adapter: ADAPTER_FILE, peftWeights: PEFT_WEIGHTS_FILE, peftConfig: PEFT_CONFIG_FILE });
  }
  await writeMerged(
    base,
    join(o.out, MERGED_FILE),
    engine.lora ? { lora: engine.lora } : { trained: engine.model },
    settings.mergedType,
  );
  outputs.merged = MERGED_FILE;
  engine.dispose();

  const report: RunReport = {
    schemaVersion: 1,
    settings,
    device: {
      backend: selection.name,
      package: selection.package,
      gpu: gpus[0]?.name ?? null,
      onGpu,
      workers,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
    },
    data: {
      samples: train.samples.length,
      badLines: train.bad.length,
      truncated: train.truncated,
      rows: trainRows.length,
      evalSamples: held?.samples.length ?? 0,
    },
    batch: {
      rowsPerStep: settings.rowsPerStep,
      microBatch: plan.microBatch,
      gradAccum: plan.gradAccum,
      estimatedBytes: estimateMemory({ ...memInput, microBatch: plan.microBatch }).totalBytes,
      decision: decision.message,
      oomRecoveries,
    },
    steps: step,
    trainedTokens: tokensSeen,
    trainSeconds,
    wallSeconds: (performance.now() - started) / 1000,
    // This session's rate when resumed with no steps left is undefined; report 0 rather than NaN.
    tokensPerSecond: trainSeconds > 0 ? tokensSeen / trainSeconds : 0,
    gflopsPerSecond: sessionSeconds > 0 ? flops / 1e9 / sessionSeconds : 0,
    finalTrainLoss: lastLoss,
    initialEvalLoss,
    finalEvalLoss,
    resumedFromStep,
    outputs,
  };
  await writeFileAtomic(join(o.out, RUN_FILE), `${JSON.stringify(report, null, 2)}\n`);
  log(
    `done: ${step} steps, ${Math.round(report.tokensPerSecond)} tok/s, ${report.gflopsPerSecond.toFixed(1)} GFLOP/s, ` +
      `train loss ${lastLoss.toFixed(4)}${finalEvalLoss !== null ? `, held-out ${finalEvalLoss.toFixed(4)}` : ''} → ${o.out}`,
  );
  return report;
}

/** Keeps metrics.jsonl lines up to `step`: steps after the last checkpoint will run again. */
async function dropMetricsAfter(path: string, step: number): Promise<void> {
  if (!existsSync(path) || statSync(path).size === 0) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line.trim() === '') return false;
      try {
        return (JSON.parse(line) as { step: number }).step <= step;
      } catch {
        return false; // a line cut short by the interruption
      }
    });
  await writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
}

/** Polls nvidia-smi every few seconds for the progress bar and metrics; never blocks a step. */
class GpuSampler {
  private last: GpuInfo | undefined;
  private readonly timer: NodeJS.Timeout;
  constructor(command?: string) {
    const poll = () =>
      queryGpus(command)
        .then((g) => {
          this.last = g[0];
        })
        .catch(() => {});
    void poll();
    this.timer = setInterval(poll, 5000);
    this.timer.unref();
  }
  latest(): GpuInfo | undefined {
    return this.last;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
