import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { type GpuInfo, parseNvidiaSmi } from '../../src/trainer/gpu.ts';
import {
  CPU_NOTE,
  detectDevice,
  findCatalogEntry,
  gpuCatalog,
  matchGpu,
  parseGpuCatalog,
} from '../../src/trinity/gpu-catalog.ts';
import { tempDir } from '../helpers/temp.ts';

// Lines as `nvidia-smi --query-gpu=index,name,memory.total,memory.free,memory.used,utilization.gpu,driver_version
// --format=csv,noheader,nounits` prints them: a Colab T4, an A100 80GB under load, and a GPU no catalog knows.
const T4 = '0, Tesla T4, 15360, 15101, 0, 0, 535.104.05';
const A100_80 = '0, NVIDIA A100-SXM4-80GB, 81920, 80105, 1815, 37, 550.54.15';
const UNKNOWN = '0, NVIDIA Foo 24GB, 24564, 24000, 564, [N/A], 560.28.03';
const MIB = 2 ** 20;
const GIB = 2 ** 30;

const dir = tempDir('meetara-gpu-catalog-');
let fakes = 0;

/** An executable that answers the project's nvidia-smi query with `lines`, and fails on any other arguments. */
function fakeSmi(lines: readonly string[], marker?: string): string {
  const path = join(dir, `nvidia-smi-${fakes++}`);
  const touch = marker ? `touch '${marker}'\n` : '';
  const body = lines.map((l) => `echo '${l}'`).join('\n');
  writeFileSync(
    path,
    `#!/bin/sh\n${touch}case "$1" in --query-gpu=index,name,memory.total,*) ;; *) echo "bad args $*" >&2; exit 9;; esac\n${body}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

function info(line: string): GpuInfo {
  return parseNvidiaSmi(line)[0];
}

describe('the GPU catalog data', () => {
  const byId = new Map(gpuCatalog().gpus.map((g) => [g.id, g]));

  it('holds T4, L4, P100, V100, A100 40/80 GB and H100, validated by its schema', () => {
    expect([...byId.keys()].sort()).toEqual(['a100-40gb', 'a100-80gb', 'h100-80gb', 'l4', 'p100', 't4', 'v100']);
  });

  it("keeps the original guide's prices and says where every other price comes from", () => {
    const guide = { t4: 0.35, v100: 2.48, 'a100-40gb': 3.67, p100: 1.46 } as const;
    for (const [id, price] of Object.entries(guide)) {
      expect(byId.get(id)?.usdPerHour, id).toBe(price);
      expect(byId.get(id)?.priceSource, id).toMatch(/^original MeeTARA guide/);
    }
    for (const g of byId.values()) {
      if (g.id in guide) continue;
      expect(g.usdPerHour, g.id).toBeGreaterThan(0);
      expect(g.priceSource, g.id).toMatch(/^reference figure, not in the original guide: .*\$\d+\.\d+\/h/);
    }
  });

  it('rejects a catalog that breaks the schema, naming the field', () => {
    const good = gpuCatalog();
    const entry = good.gpus[0];
    expect(() => parseGpuCatalog({ ...good, gpus: [entry, entry] })).toThrow(/GPU id 't4' appears twice/);
    expect(() => parseGpuCatalog({ ...good, gpus: [{ ...entry, match: ['a100('] }] })).toThrow(
      /gpus\.0\.match\.0: not a valid regular expression/,
    );
    expect(() => parseGpuCatalog({ ...good, gpus: [{ ...entry, usdPerHour: -1 }] })).toThrow(/gpus\.0\.usdPerHour/);
    expect(() => parseGpuCatalog({ ...good, schemaVersion: 2 })).toThrow(InputError);
  });
});

describe('matching nvidia-smi names to the catalog', () => {
  it.each([
    ['Tesla T4', 15360, 't4'],
    ['NVIDIA L4', 23034, 'l4'],
    ['Tesla P100-PCIE-16GB', 16280, 'p100'],
    ['Tesla V100-SXM2-16GB', 16160, 'v100'],
    ['NVIDIA A100-SXM4-40GB', 40960, 'a100-40gb'],
    ['NVIDIA A100-PCIE-40GB', 40960, 'a100-40gb'],
    ['NVIDIA A100-SXM4-80GB', 81920, 'a100-80gb'],
    ['NVIDIA A100 80GB PCIe', 81920, 'a100-80gb'],
    ['NVIDIA H100 80GB HBM3', 81559, 'h100-80gb'],
    ['NVIDIA H100 PCIe', 81559, 'h100-80gb'],
  ])('%s (%i MiB) is %s', (name, mib, id) => {
    expect(findCatalogEntry(name, mib * MIB)?.id).toBe(id);
  });

  it('tells the A100 sizes apart by measured memory when the name does not say', () => {
    expect(findCatalogEntry('NVIDIA A100', 81920 * MIB)?.id).toBe('a100-80gb');
    expect(findCatalogEntry('NVIDIA A100', 40960 * MIB)?.id).toBe('a100-40gb');
    // The size in the name wins over a measurement that would say otherwise (a MIG slice of an 80 GB card).
    expect(findCatalogEntry('NVIDIA A100-SXM4-80GB MIG 3g.40gb', 40192 * MIB)?.id).toBe('a100-80gb');
    expect(findCatalogEntry('NVIDIA A100', undefined)).toBeUndefined();
  });

  it('does not mistake look-alike names for catalog GPUs', () => {
    for (const name of [
      'NVIDIA L40S',
      'NVIDIA GeForce RTX 4090',
      'NVIDIA RTX A4000',
      'NVIDIA Foo 24GB',
      'NVIDIA GH200 480GB',
    ]) {
      expect(findCatalogEntry(name, 24 * GIB), name).toBeUndefined();
    }
  });

  it('falls back to the catalog memory only when nvidia-smi measured none', () => {
    const d = matchGpu({ ...info(T4), memoryTotalBytes: 0, memoryFreeBytes: 0 });
    expect(d.memoryBytes).toBe(16 * GIB);
    expect(d.memorySource).toBe('catalog');
    expect(d.memoryFreeBytes).toBeNull();
  });
});

describe('detectDevice with a fake nvidia-smi', () => {
  it('T4: catalog price from the guide, measured memory and utilisation', async () => {
    const d = await detectDevice({ nvidiaSmi: fakeSmi([T4]) });
    expect(d).toMatchObject({
      device: 'gpu',
      name: 'Tesla T4',
      catalogId: 't4',
      usdPerHour: 0.35,
      memoryBytes: 15360 * MIB,
      memorySource: 'nvidia-smi',
      memoryFreeBytes: 15101 * MIB,
      utilizationPercent: 0,
      note: null,
    });
    expect(d.priceSource).toMatch(/original MeeTARA guide/);
    expect(d.gpu?.driverVersion).toBe('535.104.05');
  });

  it('A100 80GB: the 80 GB entry and its reference price, not the 40 GB one', async () => {
    const d = await detectDevice({ nvidiaSmi: fakeSmi([A100_80]) });
    expect(d).toMatchObject({ catalogId: 'a100-80gb', usdPerHour: 5.07, memoryBytes: 81920 * MIB });
    expect(d.utilizationPercent).toBe(37);
    expect(d.priceSource).toMatch(/a2-ultragpu-1g/);
  });

  it('an unknown GPU still trains from its measured memory, at $0 with a note, or at --gpu-price', async () => {
    const smi = fakeSmi([UNKNOWN]);
    const d = await detectDevice({ nvidiaSmi: smi });
    expect(d).toMatchObject({
      device: 'gpu',
      name: 'NVIDIA Foo 24GB',
      catalogId: null,
      usdPerHour: 0,
      memoryBytes: 24564 * MIB,
      memorySource: 'nvidia-smi',
      utilizationPercent: null,
    });
    expect(d.note).toMatch(/'NVIDIA Foo 24GB' is not in the GPU catalog.*--gpu-price/);
    const priced = await detectDevice({ nvidiaSmi: smi, gpuPrice: 1.25 });
    expect(priced.usdPerHour).toBe(1.25);
    expect(priced.priceSource).toBe('--gpu-price $1.25/h');
    expect(priced.note).toMatch(/priced by --gpu-price/);
  });

  it('--gpu-price overrides a catalog price and keeps the catalog figure for reference', async () => {
    const d = await detectDevice({ nvidiaSmi: fakeSmi([T4]), gpuPrice: 0.2 });
    expect(d.usdPerHour).toBe(0.2);
    expect(d.priceSource).toMatch(/^--gpu-price \$0\.2\/h; catalog: \$0\.35\/h, original MeeTARA guide/);
    await expect(detectDevice({ nvidiaSmi: fakeSmi([T4]), gpuPrice: -1 })).rejects.toThrow(
      /--gpu-price must be a non-negative number/,
    );
  });

  it('no nvidia-smi, or one that finds no driver: a CPU run that costs nothing and says so', async () => {
    const missing = await detectDevice({ nvidiaSmi: join(dir, 'no-such-nvidia-smi') });
    const broken = join(dir, 'nvidia-smi-broken');
    writeFileSync(
      broken,
      "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate with the driver'\nexit 9\n",
    );
    chmodSync(broken, 0o755);
    for (const d of [missing, await detectDevice({ nvidiaSmi: broken })]) {
      expect(d).toMatchObject({ device: 'cpu', name: 'CPU', catalogId: null, usdPerHour: 0, memoryBytes: null });
      expect(d.gpus).toEqual([]);
      expect(d.priceSource).toBe(CPU_NOTE);
      expect(d.note).toBe(CPU_NOTE);
    }
    const withPrice = await detectDevice({ nvidiaSmi: join(dir, 'no-such-nvidia-smi'), gpuPrice: 2 });
    expect(withPrice.usdPerHour).toBe(0);
    expect(withPrice.note).toBe(`${CPU_NOTE} (--gpu-price $2/h ignored)`);
  });

  it('--gpu none is a CPU run and does not run nvidia-smi at all', async () => {
    const marker = join(dir, 'smi-was-run');
    const d = await detectDevice({ gpu: 'none', nvidiaSmi: fakeSmi([T4], marker) });
    expect(d.device).toBe('cpu');
    expect(existsSync(marker)).toBe(false);
    await detectDevice({ gpu: 'auto', nvidiaSmi: fakeSmi([T4], marker) });
    expect(existsSync(marker)).toBe(true);
  });

  it('--gpu NAME picks a GPU by index, catalog id or name, and refuses one that is not there', async () => {
    const two = fakeSmi([T4, A100_80.replace(/^0,/, '1,')]);
    expect((await detectDevice({ nvidiaSmi: two })).catalogId).toBe('t4');
    expect((await detectDevice({ gpu: '1', nvidiaSmi: two })).catalogId).toBe('a100-80gb');
    expect((await detectDevice({ gpu: 'a100-80gb', nvidiaSmi: two })).gpu?.index).toBe(1);
    expect((await detectDevice({ gpu: 'A100-SXM4', nvidiaSmi: two })).gpu?.index).toBe(1);
    const only = fakeSmi([T4]);
    await expect(detectDevice({ gpu: 'h100-80gb', nvidiaSmi: only })).rejects.toThrow(
      /--gpu h100-80gb: no such GPU here \(nvidia-smi reports 0: Tesla T4\); give an index, a catalog id \(t4, l4,/,
    );
    await expect(detectDevice({ gpu: 't4', nvidiaSmi: join(dir, 'no-such-nvidia-smi') })).rejects.toThrow(
      /--gpu t4: nvidia-smi reports no GPU on this machine.*--gpu none/,
    );
    await expect(detectDevice({ gpu: 't4', nvidiaSmi: join(dir, 'no-such-nvidia-smi') })).rejects.toBeInstanceOf(
      InputError,
    );
  });
});
