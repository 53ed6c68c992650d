// `meetara plan`, and the plan `meetara train` writes before spending anything: per domain the tokens, rows and
// steps, the batch the memory model chooses, the predicted time (from the throughput recorded by the last run on
// this device, or from a short timed calibration), the exact output sizes, and the predicted cost.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainByName } from '../data/catalog.ts';
import { generate } from '../data/generate.ts';
import { GgufFile } from '../gguf/reader.ts';
import { chatEncoderFromGguf, encodeSample } from '../model/chat-encoder.ts';
import { configFromGguf } from '../model/config.ts';
import { finetune } from '../trainer/finetune.ts';
import { LORA_TARGETS } from '../trainer/lora.ts';
import { chooseMicroBatch, memoryBudget } from '../trainer/memory.ts';
import { packRows } from '../trainer/packing.ts';
import { writeJsonAtomic, writeJsonlAtomic } from '../util/atomic-file.ts';
import { costOf } from './cost.ts';
import type { DetectedDevice } from './gpu-catalog.ts';
import { type OutputSizes, predictOutputSizes } from './size-plan.ts';
import { rowsPerStepOptions } from './train-domain.ts';

export interface PlanSettings {
  readonly domains: readonly string[];
  readonly samples: number;
  readonly heldout: number;
  readonly seed: number;
  readonly rank: number;
  readonly epochs: number;
  readonly steps?: number;
  readonly rowsPerStep: number;
  readonly seqLen: number;
  readonly liteType: string;
}

export interface DomainPlan {
  readonly name: string;
  readonly samples: number;
  readonly tokens: number;
  readonly rows: number;
  readonly steps: number;
  readonly trainedTokens: number;
  readonly seconds: number;
  readonly usd: number;
  /** Exact bytes of each output, from parameter counts and each file type's layout (size-plan.ts). */
  readonly sizes: OutputSizes;
}

export interface RunPlan {
  readonly schemaVersion: 1;
  readonly architecture: string;
  readonly device: string;
  readonly rowsPerStep: number;
  readonly microBatch: number;
  readonly gradAccum: number;
  readonly batchDecision: string;
  readonly tokensPerSecond: number;
  /** Where the throughput comes from: "recorded <date>" or "calibrated now". */
  readonly throughputSource: string;
  readonly domains: DomainPlan[];
  readonly trainSeconds: number;
  /** Training plus the recorded per-domain overhead (data, export, eval), when a run recorded it. */
  readonly totalSeconds: number;
  readonly totalUsd: number;
  readonly usdPerHour: number;
}

/** Throughput the last run measured on a device, kept in <out>/.meetara/throughput.json. */
interface Recorded {
  readonly tokensPerSecond: number;
  readonly overheadSecondsPerDomain: number;
  readonly recorded: string;
}

const recordFile = (out: string) => join(out, '.meetara', 'throughput.json');
const deviceKey = (device: DetectedDevice, baseSha: string) => `${device.name}|${baseSha}`;

function readRecords(out: string): Record<string, Recorded> {
  const f = recordFile(out);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record<string, Recorded>) : {};
}

/** Stores what a finished run measured, for the next plan on the same device and base. */
export async function recordThroughput(
  out: string,
  device: DetectedDevice,
  baseSha: string,
  r: Omit<Recorded, 'recorded'>,
): Promise<void> {
  const records = readRecords(out);
  records[deviceKey(device, baseSha)] = { ...r, recorded: new Date().toISOString() };
  mkdirSync(join(out, '.meetara'), { recursive: true });
  await writeJsonAtomic(recordFile(out), records);
}

export async function planRun(o: {
  base: string;
  baseSha: string;
  settings: PlanSettings;
  device: DetectedDevice;
  out: string;
  calibrate?: boolean;
  log?: (line: string) => void;
}): Promise<RunPlan> {
  const { settings: s, device } = o;
  const file = GgufFile.open(o.base);
  let config: ReturnType<typeof configFromGguf>;
  try {
    config = configFromGguf(
      file.metadata,
      file.tensors.map((t) => t.name),
      o.base,
    );
  } finally {
    file.close();
  }
  const encoder = chatEncoderFromGguf(o.base);
  const workers = device.device === 'gpu' ? 1 : availableParallelism();
  const rowsPerStep = s.rowsPerStep;
  const decision = chooseMicroBatch(
    { config, seqLen: s.seqLen, full: false, rank: s.rank, targets: [...LORA_TARGETS] },
    memoryBudget({
      backend: device.device === 'gpu' ? 'tensorflow' : 'wasm',
      gpu: device.gpu,
      freeMemBytes: freemem(),
      workers,
    }),
    rowsPerStep,
    workers,
    device.device === 'gpu',
  );
  const sizes = predictOutputSizes({ base: o.base, rank: s.rank, targets: [...LORA_TARGETS], liteType: s.liteType });

  const counted = s.domains.map((name) => {
    const [d] = generate({
      domains: [domainByName(name).name],
      samplesPerDomain: s.samples,
      heldoutPerDomain: s.heldout,
      seed: s.seed,
    });
    const encoded = (d?.train ?? []).map((x, i) => ({ ...encodeSample(encoder, x, i + 1), truncated: false }));
    const clipped = encoded.map((e) =>
      e.tokens.length > s.seqLen
        ? { ...e, tokens: e.tokens.slice(0, s.seqLen), lossMask: e.lossMask.slice(0, s.seqLen) }
        : e,
    );
    const rows = packRows(clipped, s.seqLen).length;
    const steps = s.steps ?? Math.max(1, Math.ceil((s.epochs * rows) / rowsPerStep));
    return { name, samples: encoded.length, tokens: clipped.reduce((n, e) => n + e.tokens.length, 0), rows, steps };
  });

  const recorded = o.calibrate ? undefined : readRecords(o.out)[deviceKey(device, o.baseSha)];
  let tokensPerSecond: number;
  let throughputSource: string;
  if (recorded) {
    tokensPerSecond = recorded.tokensPerSecond;
    throughputSource = `recorded by the run of ${recorded.recorded}`;
  } else {
    tokensPerSecond = await calibrate(o.base, s, o.log);
    throughputSource = `calibrated now (${CALIBRATION_STEPS} timed LoRA steps)`;
  }
  const overhead = recorded?.overheadSecondsPerDomain ?? 0;
  const domains = counted.map((c) => {
    const trainedTokens = c.steps * rowsPerStep * s.seqLen;
    const seconds = trainedTokens / tokensPerSecond + overhead;
    return { ...c, trainedTokens, seconds, usd: costOf(seconds, device.usdPerHour), sizes };
  });
  const trainSeconds = domains.reduce((n, d) => n + d.seconds - overhead, 0);
  const totalSeconds = domains.reduce((n, d) => n + d.seconds, 0);
  return {
    schemaVersion: 1,
    architecture: config.arch,
    device: device.name,
    rowsPerStep,
    microBatch: decision.microBatch,
    gradAccum: decision.gradAccum,
    batchDecision: decision.message,
    tokensPerSecond,
    throughputSource,
    domains,
    trainSeconds,
    totalSeconds,
    totalUsd: costOf(totalSeconds, device.usdPerHour),
    usdPerHour: device.usdPerHour,
  };
}

const CALIBRATION_STEPS = 2;

/** Tokens per second of a few real LoRA steps of this base on this machine. */
async function calibrate(base: string, s: PlanSettings, log?: (line: string) => void): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'meetara-calibrate-'));
  try {
    const [d] = generate({
      domains: [domainByName(s.domains[0] as string).name],
      samplesPerDomain: 32,
      heldoutPerDomain: 1,
      seed: s.seed,
    });
    const data = join(dir, 'train.jsonl');
    await writeJsonlAtomic(
      data,
      (d?.train ?? []).map((x) => ({ messages: x.messages })),
    );
    const run = await finetune({
      base,
      data,
      out: join(dir, 'run'),
      steps: CALIBRATION_STEPS,
      rank: s.rank,
      seqLen: s.seqLen,
      ...rowsPerStepOptions(s.rowsPerStep),
      log: () => {},
    });
    log?.(`calibration: ${run.tokensPerSecond.toFixed(0)} tokens/s over ${CALIBRATION_STEPS} LoRA steps`);
    return run.tokensPerSecond;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
