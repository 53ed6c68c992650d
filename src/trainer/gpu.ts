// GPU detection. nvidia-smi tells us which GPUs exist and how much memory they have; a timed matMul tells us
// whether tfjs actually computes on one. @tensorflow/tfjs-node-gpu silently falls back to the CPU when its
// CUDA 11 / cuDNN 8 libraries are missing (today's Colab ships CUDA 12), and hours of Colab time would then be
// spent on two CPU cores. So a present-but-unused GPU stops the run unless --allow-cpu is given.

import { execFile } from 'node:child_process';
import { InputError } from '../errors.ts';

export interface GpuInfo {
  readonly index: number;
  readonly name: string;
  readonly memoryTotalBytes: number;
  readonly memoryFreeBytes: number;
  readonly memoryUsedBytes: number;
  /** Percent, or undefined when the driver reports [N/A]. */
  readonly utilizationPercent: number | undefined;
  readonly driverVersion: string;
}

/** The query we run; parseNvidiaSmi reads its output (CSV, no header, no units, MiB for memory). */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,memory.free,memory.used,utilization.gpu,driver_version',
  '--format=csv,noheader,nounits',
];

const MIB = 1024 * 1024;

function number(field: string): number | undefined {
  const v = Number(field.trim());
  return field.trim() !== '' && Number.isFinite(v) ? v : undefined;
}

/** Parses `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` output. Unparseable lines are errors. */
export function parseNvidiaSmi(output: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const [i, raw] of output.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(',').map((s) => s.trim());
    const index = number(f[0] ?? '');
    const total = number(f[2] ?? '');
    const free = number(f[3] ?? '');
    if (f.length < 7 || index === undefined || total === undefined || free === undefined) {
      throw new InputError(
        `nvidia-smi output line ${i + 1} is not understood: '${line}' (expected ${NVIDIA_SMI_ARGS[0]})`,
      );
    }
    gpus.push({
      index,
      name: f[1],
      memoryTotalBytes: total * MIB,
      memoryFreeBytes: free * MIB,
      memoryUsedBytes: (number(f[4]) ?? total - free) * MIB,
      utilizationPercent: number(f[5]),
      driverVersion: f[6],
    });
  }
  return gpus;
}

export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<string>;

const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });

/**
 * The GPUs nvidia-smi reports; empty when nvidia-smi is absent or finds no device (no NVIDIA driver).
 * `command` is the nvidia-smi to run (tests point it at a fake).
 */
export async function queryGpus(command = 'nvidia-smi', run: CommandRunner = runCommand): Promise<GpuInfo[]> {
  let out: string;
  try {
    out = await run(command, NVIDIA_SMI_ARGS);
  } catch {
    // Missing binary (ENOENT) or "No devices were found" / driver mismatch (non-zero exit): no usable GPU.
    return [];
  }
  return parseNvidiaSmi(out);
}

/** A matMul this fast can only come from a GPU: 2-core CPUs reach ~50-150 GFLOP/s, a T4 several thousand. */
export const GPU_GFLOPS_THRESHOLD = 1000;

export interface GpuCheck {
  readonly gpus: readonly GpuInfo[];
  readonly backend: string;
  /** Achieved GFLOP/s of the timed matMul on the chosen backend (undefined when not measured). */
  readonly matmulGflops: number | undefined;
  readonly allowCpu: boolean;
}

export interface GpuDecision {
  readonly onGpu: boolean;
  /** Human line for the log. */
  readonly message: string;
}

/**
 * Decides whether training runs on the GPU, and refuses to run on the CPU while a GPU sits idle unless the user
 * allowed it. Pure, so tests cover it with fake nvidia-smi output and fake timings.
 */
export function decideGpu(c: GpuCheck): GpuDecision {
  if (c.gpus.length === 0) return { onGpu: false, message: `no GPU found; training on the ${c.backend} backend` };
  const gpu = c.gpus[0];
  const gflops = c.matmulGflops;
  const onGpu = c.backend === 'tensorflow' && gflops !== undefined && gflops >= GPU_GFLOPS_THRESHOLD;
  if (onGpu) return { onGpu, message: `training on GPU ${gpu.name} (matMul ${gflops.toFixed(0)} GFLOP/s)` };
  const why =
    c.backend !== 'tensorflow'
      ? `the ${c.backend} backend cannot use it (install @tensorflow/tfjs-node-gpu)`
      : `a timed matMul ran at ${gflops?.toFixed(0) ?? '?'} GFLOP/s, which is CPU speed: tfjs-node-gpu fell back to the CPU, usually because the CUDA 11.2 / cuDNN 8.1 libraries are missing (run scripts/colab-setup.sh)`;
  if (!c.allowCpu) {
    throw new InputError(
      `GPU ${gpu.name} is present but tfjs is not running on it: ${why}; pass --allow-cpu to train on the CPU anyway`,
    );
  }
  return {
    onGpu: false,
    message: `GPU ${gpu.name} is present but unused (${why}); continuing on the CPU (--allow-cpu)`,
  };
}

type Tf = typeof import('@tensorflow/tfjs-core');

/** Achieved GFLOP/s of an n×n matMul on the active backend (after one warm-up run, which loads kernels). */
export async function timedMatMulGflops(tf: Tf, n = 1024, repeats = 3): Promise<number> {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  try {
    const run = async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    };
    await run();
    const start = performance.now();
    for (let i = 0; i < repeats; i++) await run();
    const seconds = (performance.now() - start) / 1000 / repeats;
    return (2 * n * n * n) / seconds / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}
