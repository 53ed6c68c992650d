// The GPU catalog and device detection for `npm run train`. nvidia-smi (through src/trainer/gpu.ts) says which GPU
// this is and how much memory it has; ./gpu-catalog.json (data, validated here) says what it costs per hour and,
// when nothing was measured, how much memory it nominally has. An unknown GPU still trains, from its measured
// memory, at $0/h unless --gpu-price says otherwise. A CPU run costs $0 and says so.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { type GpuInfo, queryGpus } from '../trainer/gpu.ts';

const GIB = 2 ** 30;

const PatternSchema = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

export const GpuCatalogEntrySchema = z.object({
  /** Stable id, lowercase: what `--gpu <id>` and cost.json use. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string().min(1),
  /** Regular expressions tested case-insensitively against the nvidia-smi name. */
  match: z.array(PatternSchema).min(1),
  /** Nominal memory; the measured total from nvidia-smi takes precedence. */
  memoryGiB: z.number().positive(),
  usdPerHour: z.number().nonnegative(),
  /** Where usdPerHour comes from: the original guide, or a named reference price. */
  priceSource: z.string().min(1),
});

export const GpuCatalogSchema = z.object({
  schemaVersion: z.literal(1),
  about: z.string(),
  gpus: z.array(GpuCatalogEntrySchema).min(1),
});

export type GpuCatalogEntry = z.infer<typeof GpuCatalogEntrySchema>;
export type GpuCatalog = z.infer<typeof GpuCatalogSchema>;

/** Validates a parsed catalog: the schema, unique ids. `where` names the source in errors. */
export function parseGpuCatalog(json: unknown, where = 'gpu-catalog.json'): GpuCatalog {
  const parsed = GpuCatalogSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const seen = new Set<string>();
  for (const g of parsed.data.gpus) {
    if (seen.has(g.id)) throw new InputError(`${where}: GPU id '${g.id}' appears twice`);
    seen.add(g.id);
  }
  return parsed.data;
}

let cached: GpuCatalog | undefined;

/** The catalog shipped beside this file, loaded and validated once. */
export function gpuCatalog(): GpuCatalog {
  if (cached) return cached;
  const url = new URL('./gpu-catalog.json', import.meta.url);
  cached = parseGpuCatalog(JSON.parse(readFileSync(url, 'utf8')));
  return cached;
}

/**
 * The catalog entry for an nvidia-smi name, or undefined. Entries whose patterns match are candidates; when there
 * are several (the A100 comes in 40 and 80 GB), a size written in the name ("A100-SXM4-80GB") decides, and
 * otherwise the measured total memory does (the nominal size nearest to it).
 */
export function findCatalogEntry(
  name: string,
  measuredTotalBytes?: number,
  catalog: GpuCatalog = gpuCatalog(),
): GpuCatalogEntry | undefined {
  const candidates = catalog.gpus.filter((g) => g.match.some((p) => new RegExp(p, 'i').test(name)));
  if (candidates.length <= 1) return candidates[0];
  // The card's size comes first ("A100-SXM4-80GB MIG 3g.40gb": 80, not the MIG slice's 40).
  const sizeInName = /(\d+)\s*gb\b/i.exec(name);
  const bySize = candidates.filter((g) => sizeInName && g.memoryGiB === Number(sizeInName[1]));
  if (bySize.length === 1) return bySize[0];
  if (measuredTotalBytes === undefined || !(measuredTotalBytes > 0)) return undefined;
  const gib = measuredTotalBytes / GIB;
  return candidates.reduce((best, g) => (Math.abs(g.memoryGiB - gib) < Math.abs(best.memoryGiB - gib) ? g : best));
}

export const CPU_NOTE = 'CPU run: no GPU cost';

export interface DeviceInfo {
  readonly device: 'cpu' | 'gpu';
  /** The nvidia-smi name, or 'CPU'. */
  readonly name: string;
  /** The catalog entry's id; null on CPU and for a GPU the catalog does not know. */
  readonly catalogId: string | null;
  /** Total GPU memory: measured by nvidia-smi when known, else the catalog's nominal size; null on CPU. */
  readonly memoryBytes: number | null;
  readonly memorySource: 'nvidia-smi' | 'catalog' | null;
  /** Free GPU memory and utilisation as nvidia-smi reported them; null when not measured. */
  readonly memoryFreeBytes: number | null;
  readonly utilizationPercent: number | null;
  /** 0 on CPU, and for an unknown GPU without --gpu-price. */
  readonly usdPerHour: number;
  readonly priceSource: string;
  /** Why the price is what it is when that needs saying (CPU, unknown GPU); null otherwise. */
  readonly note: string | null;
  /** The raw nvidia-smi record (for memoryBudget and CUDA_VISIBLE_DEVICES); undefined on CPU. */
  readonly gpu: GpuInfo | undefined;
}

function formatPrice(usd: number): string {
  return `$${usd}/h`;
}

/** Rejects a --gpu-price that is not a non-negative finite number. */
export function checkGpuPrice(price: number | undefined): void {
  if (price !== undefined && !(Number.isFinite(price) && price >= 0)) {
    throw new InputError(`--gpu-price must be a non-negative number of US dollars per GPU-hour, got ${price}`);
  }
}

/**
 * What this run trains on and what an hour of it costs. `info` is one GPU from nvidia-smi, or undefined for a CPU
 * run. `priceOverride` is --gpu-price (USD per GPU-hour); it does not apply on CPU, which costs nothing here.
 */
export function matchGpu(
  info: GpuInfo | undefined,
  priceOverride?: number,
  catalog: GpuCatalog = gpuCatalog(),
): DeviceInfo {
  checkGpuPrice(priceOverride);
  if (!info) {
    const ignored = priceOverride !== undefined ? ` (--gpu-price ${formatPrice(priceOverride)} ignored)` : '';
    return {
      device: 'cpu',
      name: 'CPU',
      catalogId: null,
      memoryBytes: null,
      memorySource: null,
      memoryFreeBytes: null,
      utilizationPercent: null,
      usdPerHour: 0,
      priceSource: CPU_NOTE,
      note: `${CPU_NOTE}${ignored}`,
      gpu: undefined,
    };
  }
  const entry = findCatalogEntry(info.name, info.memoryTotalBytes, catalog);
  const measured = info.memoryTotalBytes > 0;
  const memory = {
    memoryBytes: measured ? info.memoryTotalBytes : entry ? entry.memoryGiB * GIB : null,
    memorySource: measured ? ('nvidia-smi' as const) : entry ? ('catalog' as const) : null,
    memoryFreeBytes: measured ? info.memoryFreeBytes : null,
    utilizationPercent: info.utilizationPercent ?? null,
  };
  const base = { device: 'gpu' as const, name: info.name, catalogId: entry?.id ?? null, ...memory, gpu: info };
  if (priceOverride !== undefined) {
    const catalogPrice = entry ? `; catalog: ${formatPrice(entry.usdPerHour)}, ${entry.priceSource}` : '';
    return {
      ...base,
      usdPerHour: priceOverride,
      priceSource: `--gpu-price ${formatPrice(priceOverride)}${catalogPrice}`,
      note: entry ? null : `GPU '${info.name}' is not in the GPU catalog; priced by --gpu-price`,
    };
  }
  if (!entry) {
    return {
      ...base,
      usdPerHour: 0,
      priceSource: 'unknown GPU: no catalog price',
      note: `GPU '${info.name}' is not in the GPU catalog: its cost is shown as $0; pass --gpu-price <usd-per-hour> to price it`,
    };
  }
  return { ...base, usdPerHour: entry.usdPerHour, priceSource: entry.priceSource, note: null };
}

export interface DetectOptions {
  /** 'auto' (the first GPU nvidia-smi reports, else CPU), 'none' (CPU), or a GPU to insist on: index, catalog id or part of its name. */
  readonly gpu?: string;
  /** nvidia-smi to run (tests point it at a fake). */
  readonly nvidiaSmi?: string;
  /** --gpu-price, USD per GPU-hour. */
  readonly gpuPrice?: number;
}

export interface DetectedDevice extends DeviceInfo {
  /** Every GPU nvidia-smi reported (empty when it is absent or finds none, and for --gpu none). */
  readonly gpus: readonly GpuInfo[];
}

/**
 * Queries nvidia-smi and picks the device. A missing nvidia-smi, or one that finds no device, means CPU; that is
 * not an error for --gpu auto. Naming a GPU that is not there is an InputError.
 */
export async function detectDevice(o: DetectOptions = {}, catalog: GpuCatalog = gpuCatalog()): Promise<DetectedDevice> {
  const want = (o.gpu ?? 'auto').trim();
  checkGpuPrice(o.gpuPrice);
  if (want === 'none' || want === 'cpu') return { ...matchGpu(undefined, o.gpuPrice, catalog), gpus: [] };
  const gpus = await queryGpus(o.nvidiaSmi);
  if (want === 'auto') return { ...matchGpu(gpus[0], o.gpuPrice, catalog), gpus };
  if (want === '') throw new InputError(`--gpu needs a value: auto, none, or a GPU (index, catalog id or name)`);
  if (gpus.length === 0) {
    throw new InputError(
      `--gpu ${want}: nvidia-smi reports no GPU on this machine (no driver or no GPU runtime); use --gpu auto or --gpu none`,
    );
  }
  const chosen = selectGpu(gpus, want, catalog);
  if (!chosen) {
    const found = gpus.map((g) => `${g.index}: ${g.name}`).join(', ');
    const ids = catalog.gpus.map((g) => g.id).join(', ');
    throw new InputError(
      `--gpu ${want}: no such GPU here (nvidia-smi reports ${found}); give an index, a catalog id (${ids}) or part of the name`,
    );
  }
  return { ...matchGpu(chosen, o.gpuPrice, catalog), gpus };
}

function selectGpu(gpus: readonly GpuInfo[], want: string, catalog: GpuCatalog): GpuInfo | undefined {
  if (/^\d+$/.test(want)) return gpus.find((g) => g.index === Number(want));
  const id = want.toLowerCase();
  if (catalog.gpus.some((g) => g.id === id)) {
    return gpus.find((g) => findCatalogEntry(g.name, g.memoryTotalBytes, catalog)?.id === id);
  }
  return gpus.find((g) => g.name.toLowerCase().includes(id));
}
