// LoRA training throughput: tokens/s and achieved GFLOP/s of full optimizer steps (forward, backward, gradient
// sum, clip, AdamW, new values into the model), the same components `finetune` runs.
//   npx tsx bench/train.bench.ts
// Config (issue 6): llama, vocab 4096, dim 256, 4 layers, 8 heads, 4 kv heads, ffn 768, seq 128, 8 rows per step,
// LoRA rank 8 on all 7 projections. Backends: wasm with 1 and 2 workers, cpu, and tensorflow where installed.
// The peer is PyTorch on the CPU running the same config (bench/train-peer.py), when python3-torch is installed.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { configFromHParams } from '../src/model/config.ts';
import { initModel } from '../src/model/init-model.ts';
import { type BackendName, selectBackend } from '../src/trainer/backend.ts';
import { GradEngine, type GradResult } from '../src/trainer/engine.ts';
import { trainingFlopsPerRow } from '../src/trainer/flops.ts';
import { GradPool } from '../src/trainer/grad-pool.ts';
import { LORA_TARGETS } from '../src/trainer/lora.ts';
import { accumulateStep, type StepRunner } from '../src/trainer/oom.ts';
import { AdamW, clipGradNorm } from '../src/trainer/optimizer.ts';
import { type Batch, splitRows } from '../src/trainer/packing.ts';
import { Rng } from '../src/util/random.ts';
import { printTable, SMALL_LLAMA } from './harness.ts';

const CONFIG = SMALL_LLAMA;
const SEQ = 128;
const ROWS = 8;
const RANK = 8;
/** Timed steps after one warm-up step; the cpu backend's plain-JS kernels take ~a minute per step here. */
const STEPS: Record<BackendName, number> = { tensorflow: 5, wasm: 5, cpu: 1 };

function randomBatch(seed: number): Batch {
  const rng = new Rng(seed);
  const n = ROWS * SEQ;
  const tokens = Int32Array.from({ length: n }, () => rng.int(CONFIG.vocabSize));
  const labels = Int32Array.from({ length: n }, () => rng.int(CONFIG.vocabSize));
  return { rows: ROWS, seqLen: SEQ, tokens, labels, segments: new Int32Array(n).fill(1), lossTokens: n };
}

interface Result {
  readonly label: string;
  readonly secondsPerStep: number;
}

/** Times STEPS optimizer steps after one warm-up step (which loads kernels and, with workers, the replicas). */
async function timeSteps(label: string, backend: BackendName, base: string, workers: number): Promise<Result> {
  await selectBackend(backend);
  const spec = { base, full: false, rank: RANK, alpha: 16, targets: [...LORA_TARGETS], seed: 1 };
  const engine = await GradEngine.create(spec);
  const pool = workers > 1 ? new GradPool(workers, spec, backend) : undefined;
  const master = engine.values();
  const opt = new AdamW(master.map((m) => m.length));
  const plan = { microBatch: ROWS / workers, gradAccum: 1 };
  const runner: StepRunner<GradResult> = {
    parallel: workers,
    computeGrads: async (micro) =>
      pool ? pool.grads(splitRows(micro, plan.microBatch), master, plan.microBatch) : engine.grads(micro),
    accumulate: (acc, next) => acc ?? next,
    discard: () => {},
    log: console.log,
  };
  const step = async (i: number) => {
    const batch = randomBatch(i);
    const { grads } = await accumulateStep(batch, plan, runner, i);
    for (const g of grads) for (let j = 0; j < g.length; j++) g[j] /= batch.lossTokens;
    clipGradNorm(grads, 1);
    opt.step(master, grads, 1e-4);
    engine.setValues(master);
  };
  try {
    await step(0);
    const start = performance.now();
    for (let i = 1; i <= STEPS[backend]; i++) await step(i);
    return { label, secondsPerStep: (performance.now() - start) / 1000 / STEPS[backend] };
  } finally {
    await pool?.destroy();
    engine.dispose();
  }
}

/** Runs bench/train-peer.py with Debian's python3-torch (the system interpreter; a pyenv `python3` may hide it). */
function peer(args: (string | number)[]): number | undefined {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  try {
    const out = execFileSync(python, [join(import.meta.dirname, 'train-peer.py'), ...args.map(String)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    return Number(out.trim());
  } catch {
    return undefined;
  }
}

/** PyTorch 1.13 on the CPU, same config, if Debian's python3-torch is installed. */
function pytorchPeer(threads: number): Result | undefined {
  const seconds = peer([threads, SEQ, ROWS, STEPS.wasm]);
  return seconds === undefined
    ? undefined
    : { label: `PyTorch ${threads} thread${threads > 1 ? 's' : ''} (peer)`, secondsPerStep: seconds };
}

/** The products that dominate a step, one core each: tfjs wasm (XNNPACK) against PyTorch (OpenBLAS). */
const KERNELS = [
  [ROWS * SEQ, CONFIG.dim, CONFIG.ffn],
  [ROWS * SEQ, CONFIG.ffn, CONFIG.dim],
  [ROWS * SEQ, CONFIG.dim, CONFIG.vocabSize],
] as const;

async function matMulGflops(m: number, k: number, n: number): Promise<number> {
  await selectBackend('wasm');
  const a = tf.randomUniform([m, k]) as tf.Tensor2D;
  const b = tf.randomUniform([k, n]) as tf.Tensor2D;
  try {
    tf.matMul(a, b).dispose();
    const start = performance.now();
    // The block body matters: tf.tidy walks a returned typed array element by element.
    for (let i = 0; i < 10; i++) {
      tf.tidy(() => {
        tf.matMul(a, b).dataSync();
      });
    }
    return (2 * m * k * n) / ((performance.now() - start) / 10 / 1000) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

async function hasTensorflow(): Promise<boolean> {
  try {
    await selectBackend('tensorflow');
    return true;
  } catch {
    return false;
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meetara-train-bench-'));
  try {
    const base = join(dir, 'bench.gguf');
    const hp = await initModel(base, { ...CONFIG, seed: 1 });
    const config = configFromHParams(hp);
    const flopsPerStep =
      ROWS * trainingFlopsPerRow({ config, seqLen: SEQ, full: false, rank: RANK, targets: LORA_TARGETS });

    // One-core kernel rates first: switching tfjs from cpu back to wasm in one process leaves wasm's matMul slow.
    const kernels: string[][] = [];
    for (const [m, k, n] of KERNELS) {
      const ours = (await matMulGflops(m, k, n)).toFixed(1);
      kernels.push([`[${m},${k}]×[${k},${n}]`, ours, peer([1, 'matmul', m, k, n])?.toFixed(1) ?? 'n/a']);
    }

    const results: Result[] = [];
    if (await hasTensorflow()) results.push(await timeSteps('tensorflow', 'tensorflow', base, 1));
    results.push(await timeSteps('wasm, 1 worker', 'wasm', base, 1));
    results.push(await timeSteps('wasm, 2 workers', 'wasm', base, 2));
    results.push(await timeSteps('cpu, 1 worker', 'cpu', base, 1));
    const peers = [pytorchPeer(1), pytorchPeer(2)].filter((r): r is Result => r !== undefined);
    const load = loadavg()[0];
    // The fastest PyTorch setting measured here is the peer (on a busy machine 2 OpenMP threads can lose to 1).
    const best = peers.reduce<Result | undefined>(
      (b, r) => (!b || r.secondsPerStep < b.secondsPerStep ? r : b),
      undefined,
    );
    printTable(
      `LoRA training, vocab ${CONFIG.vocabSize}, dim ${CONFIG.dim}, ${CONFIG.layers} layers, seq ${SEQ}, ${ROWS} rows/step, rank ${RANK} on 7 projections (${(flopsPerStep / 1e9).toFixed(1)} GFLOP/step)`,
      ['backend', 's/step', 'tokens/s', 'GFLOP/s', ...(best ? ['× fastest PyTorch'] : [])],
      [...results, ...peers].map((r) => [
        r.label,
        r.secondsPerStep.toFixed(3),
        Math.round((ROWS * SEQ) / r.secondsPerStep),
        (flopsPerStep / 1e9 / r.secondsPerStep).toFixed(1),
        ...(best ? [(best.secondsPerStep / r.secondsPerStep).toFixed(2)] : []),
      ]),
    );
    printTable('matMul GFLOP/s on one core', ['product', 'tfjs wasm (XNNPACK)', 'PyTorch (OpenBLAS)'], kernels);
    console.log(
      `\n${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} cores, 1-minute load average ${load.toFixed(1)} at the end`,
    );
    if (!best) {
      console.log(
        '\nPyTorch peer not measured (python3-torch not installed). Issue 6 quotes ~3,600 tokens/s (2 threads) and ~2,950 tokens/s (1 thread) for PyTorch 1.13 + OpenBLAS on this class of machine (nominal, not measured here).',
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
