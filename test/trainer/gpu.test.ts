import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { decideGpu, parseNvidiaSmi, queryGpus } from '../../src/trainer/gpu.ts';

// Real output shapes of `nvidia-smi --query-gpu=index,name,memory.total,memory.free,memory.used,utilization.gpu,
// driver_version --format=csv,noheader,nounits` on a Colab T4, an A100 pair, and a MIG/vGPU that hides fields.
const T4 = '0, Tesla T4, 15360, 15101, 0, 0, 535.104.05\n';
const TWO_A100 =
  '0, NVIDIA A100-SXM4-40GB, 40960, 40349, 3, 0, 550.54.15\n1, NVIDIA A100-SXM4-40GB, 40960, 1200, 39760, 97, 550.54.15\n';
const NA_FIELDS = '0, NVIDIA H100 80GB HBM3 MIG 1g.10gb, 9984, 9900, [N/A], [N/A], 550.90.07\n';

const dir = mkdtempSync(join(tmpdir(), 'meetara-gpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeSmi(name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('nvidia-smi parsing', () => {
  it('reads name, memory (MiB to bytes), utilisation and driver', () => {
    const [g] = parseNvidiaSmi(T4);
    expect(g).toEqual({
      index: 0,
      name: 'Tesla T4',
      memoryTotalBytes: 15360 * 2 ** 20,
      memoryFreeBytes: 15101 * 2 ** 20,
      memoryUsedBytes: 0,
      utilizationPercent: 0,
      driverVersion: '535.104.05',
    });
  });

  it('reads several GPUs, and [N/A] fields become undefined or derived', () => {
    const gpus = parseNvidiaSmi(TWO_A100);
    expect(gpus.map((g) => [g.index, g.memoryFreeBytes / 2 ** 20, g.utilizationPercent])).toEqual([
      [0, 40349, 0],
      [1, 1200, 97],
    ]);
    const [mig] = parseNvidiaSmi(NA_FIELDS);
    expect(mig.utilizationPercent).toBeUndefined();
    expect(mig.memoryUsedBytes).toBe(84 * 2 ** 20);
  });

  it('rejects output it does not understand, naming the line', () => {
    expect(() => parseNvidiaSmi(`${T4}garbage line\n`)).toThrow(/line 2 is not understood: 'garbage line'/);
  });
});

describe('queryGpus runs nvidia-smi', () => {
  it('parses a fake nvidia-smi that prints what the real one prints, passing the query flags', async () => {
    const smi = fakeSmi(
      'nvidia-smi',
      `case "$1" in --query-gpu=index,name,memory.total,*) printf '${T4}';; *) echo "bad args $@" >&2; exit 9;; esac`,
    );
    const gpus = await queryGpus(smi);
    expect(gpus).toHaveLength(1);
    expect(gpus[0].name).toBe('Tesla T4');
  });

  it('treats a missing binary or a failing driver as no GPU', async () => {
    expect(await queryGpus(join(dir, 'does-not-exist'))).toEqual([]);
    const failing = fakeSmi(
      'nvidia-smi-broken',
      "echo 'NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.'; exit 9",
    );
    expect(await queryGpus(failing)).toEqual([]);
  });
});

describe('GPU decision', () => {
  const gpus = parseNvidiaSmi(T4);

  it('no GPU: train on the chosen backend', () => {
    expect(decideGpu({ gpus: [], backend: 'wasm', matmulGflops: 40, allowCpu: false }).onGpu).toBe(false);
  });

  it('GPU present and the timed matMul runs at GPU speed on tensorflow: on GPU', () => {
    const d = decideGpu({ gpus, backend: 'tensorflow', matmulGflops: 4200, allowCpu: false });
    expect(d.onGpu).toBe(true);
    expect(d.message).toContain('Tesla T4');
  });

  it('GPU present but tfjs-node-gpu fell back to the CPU (slow matMul): refuse, naming the fix', () => {
    const run = () => decideGpu({ gpus, backend: 'tensorflow', matmulGflops: 85, allowCpu: false });
    expect(run).toThrow(InputError);
    expect(run).toThrow(/Tesla T4 is present but tfjs is not running on it.*85 GFLOP\/s.*colab-setup\.sh.*--allow-cpu/);
  });

  it('GPU present with a CPU-only backend: refuse unless --allow-cpu', () => {
    expect(() => decideGpu({ gpus, backend: 'wasm', matmulGflops: 30, allowCpu: false })).toThrow(/--allow-cpu/);
    const d = decideGpu({ gpus, backend: 'wasm', matmulGflops: 30, allowCpu: true });
    expect(d.onGpu).toBe(false);
    expect(d.message).toMatch(/continuing on the CPU/);
  });
});
