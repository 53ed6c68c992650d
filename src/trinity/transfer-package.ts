// The transfer package: what `npm run train` hands to `npm run compress`. A folder out/colab_trinity_<timestamp>/
// holds the data, adapters and models, and beside them download_package.json: the device that ran, the base, per
// domain its data card summary, its files, its measured metrics and cost, the run's workflow metrics, and
// files[], the size and sha256 of every other file in the folder. `--archive` adds one .tar of the folder.
//
// The writer lists and hashes the folder itself, so files[] is computed, never typed in. The reader trusts
// nothing: it parses the schema, refuses unsafe paths, and checks every file's size and sha256 before the caller
// does any work, failing with a one-line PackageIntegrityError that names the file.

import { lstat, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { type ZodError, z } from 'zod';
import { PackageIntegrityError } from '../errors.ts';
import { writeJsonAtomic } from '../util/atomic-file.ts';
import { startProgress } from '../util/progress.ts';
import {
  extractTar,
  type FileEntry,
  fileEntries,
  hashFile,
  listFiles,
  showPath,
  unsafePathReason,
} from './package-files.ts';

export const PACKAGE_MANIFEST = 'download_package.json';
export const PACKAGE_TYPE = 'colab_to_local_transfer';
export const PACKAGE_SCHEMA_VERSION = 1;

/** Above this many bytes, verifying the hashes takes a while, so it shows progress. */
const PROGRESS_MIN_BYTES = 256 << 20;

/** A path inside the package: relative, POSIX, and never leaving the folder (see unsafePathReason). */
export const PackagePathSchema = z.string().superRefine((p, ctx) => {
  const why = unsafePathReason(p);
  if (why !== null) ctx.addIssue({ code: 'custom', message: `unsafe path ${showPath(p)}: it ${why}` });
});

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256 (64 lowercase hex digits)');
const Count = z.number().int().nonnegative();
const NonNegative = z.number().nonnegative();
const Fraction = z.number().min(0).max(1);

export const FileEntrySchema = z.object({
  path: PackagePathSchema,
  bytes: Count,
  sha256: Sha256Schema,
});

/** The machine that actually ran the training, as measured: the tfjs backend, nvidia-smi's GPU, the CPU. */
export const PackageDeviceSchema = z.object({
  /** The tfjs backend that ran (tensorflow, wasm, cpu). */
  backend: z.string().min(1),
  /** GPU name from nvidia-smi; null on a CPU run. */
  gpu: z.string().min(1).nullable(),
  /** GPU memory from nvidia-smi; null on a CPU run. */
  gpu_memory_bytes: Count.nullable(),
  cpu: z.string().min(1),
  cores: z.number().int().positive(),
});

export const PackageBaseSchema = z.object({
  /** The base GGUF inside the package. */
  file: PackagePathSchema,
  sha256: Sha256Schema,
  architecture: z.string().min(1),
  parameters: z.number().int().positive(),
});

/** The domain's data: the chat JSONL files, the data card, and the card's summary figures. */
export const PackageDataSchema = z.object({
  train: PackagePathSchema,
  heldout: PackagePathSchema,
  card: PackagePathSchema,
  samples: Count,
  heldoutSamples: Count,
  distinct2: Fraction,
  nearDuplicateRate: Fraction,
  tokens: Count,
});

export const PackageDomainFilesSchema = z.object({
  /** llama.cpp LoRA adapter (GGUF). */
  adapter: PackagePathSchema,
  /** The same adapter in PEFT form (safetensors) and its adapter_config.json. */
  peft_adapter: PackagePathSchema,
  peft_config: PackagePathSchema,
  /** The base with the adapter merged in (GGUF). */
  full: PackagePathSchema,
  /** The merged model quantized to lite_type (GGUF). */
  lite: PackagePathSchema,
});

/** Every figure measured in the run: losses, perplexities on the held-out set, throughput and time. */
export const PackageMetricsSchema = z.object({
  train_loss: NonNegative,
  /** null when the domain had no held-out samples. */
  heldout_loss: NonNegative.nullable(),
  base_perplexity: z.number().positive(),
  tuned_perplexity: z.number().positive(),
  trained_tokens: Count,
  steps: Count,
  tokens_per_second: NonNegative,
  wall_seconds: NonNegative,
});

export const PackageCostSchema = z.object({ seconds: NonNegative, usd: NonNegative });

export const PackageDomainSchema = z.object({
  name: z.string().min(1),
  category: z.string().min(1),
  data: PackageDataSchema,
  files: PackageDomainFilesSchema,
  /** The llama-quantize file type of `files.lite`, e.g. Q4_K_M. */
  lite_type: z.string().min(1),
  metrics: PackageMetricsSchema,
  cost: PackageCostSchema,
});

export const WorkflowMetricsSchema = z.object({
  total_seconds: NonNegative,
  samples_per_second: NonNegative,
  domains_per_minute: NonNegative,
  total_cost_usd: NonNegative,
});

export const TransferPackageSchema = z.object({
  schemaVersion: z.literal(PACKAGE_SCHEMA_VERSION),
  package_type: z.literal(PACKAGE_TYPE),
  /** When the package was written (ISO 8601). */
  created: z.iso.datetime({ offset: true }),
  device: PackageDeviceSchema,
  base: PackageBaseSchema,
  domains: z.array(PackageDomainSchema).min(1),
  /** plan.json and cost.json inside the package, when the run wrote them. */
  plan: PackagePathSchema.nullable(),
  cost: PackagePathSchema.nullable(),
  workflow_metrics: WorkflowMetricsSchema,
  /** Every file in the package folder except this manifest (and .tar archives), sorted by path. */
  files: z.array(FileEntrySchema),
});

export type TransferPackage = z.infer<typeof TransferPackageSchema>;
export type PackageDevice = z.infer<typeof PackageDeviceSchema>;
export type PackageBase = z.infer<typeof PackageBaseSchema>;
export type PackageData = z.infer<typeof PackageDataSchema>;
export type PackageDomainFiles = z.infer<typeof PackageDomainFilesSchema>;
export type PackageMetrics = z.infer<typeof PackageMetricsSchema>;
export type PackageCost = z.infer<typeof PackageCostSchema>;
export type PackageDomain = z.infer<typeof PackageDomainSchema>;
export type WorkflowMetrics = z.infer<typeof WorkflowMetricsSchema>;

/** What the caller of writeTransferPackage supplies: everything but files[], which the writer computes. */
export type TransferPackageInput = Omit<TransferPackage, 'files' | 'schemaVersion' | 'package_type'> &
  Partial<Pick<TransferPackage, 'schemaVersion' | 'package_type'>>;

/** `domains[0].metrics.steps` style, for messages. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(root)';
}

function schemaError(where: string, error: ZodError, json: unknown): PackageIntegrityError {
  const issue = error.issues[0];
  const field = fieldName(issue?.path ?? []);
  if (issue?.path.length === 1 && issue.path[0] === 'schemaVersion') {
    const got = JSON.stringify((json as { schemaVersion?: unknown } | null)?.schemaVersion) ?? 'missing';
    return new PackageIntegrityError(
      `${where}: field schemaVersion is ${got}; this meetara reads schemaVersion ${PACKAGE_SCHEMA_VERSION} (re-create the package or update meetara)`,
    );
  }
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return new PackageIntegrityError(`${where}: field ${field}: ${issue?.message}${more}`);
}

/** The paths a manifest refers to besides files[], with the field each comes from. */
function referencedPaths(m: TransferPackage): [field: string, path: string][] {
  const out: [string, string][] = [['base.file', m.base.file]];
  if (m.plan !== null) out.push(['plan', m.plan]);
  if (m.cost !== null) out.push(['cost', m.cost]);
  m.domains.forEach((d, i) => {
    for (const k of ['train', 'heldout', 'card'] as const) out.push([`domains[${i}].data.${k}`, d.data[k]]);
    for (const k of ['adapter', 'peft_adapter', 'peft_config', 'full', 'lite'] as const) {
      out.push([`domains[${i}].files.${k}`, d.files[k]]);
    }
  });
  return out;
}

/**
 * The checks that go beyond the schema: files[] has no duplicate and not the manifest itself, domain names are
 * unique, every path the manifest refers to is in files[], and base.sha256 is the base file's listed sha256.
 */
function checkConsistency(m: TransferPackage, where: string): void {
  const listed = new Map<string, FileEntry>();
  m.files.forEach((f, i) => {
    if (listed.has(f.path))
      throw new PackageIntegrityError(`${where}: field files[${i}]: ${showPath(f.path)} is listed twice`);
    if (f.path === PACKAGE_MANIFEST) {
      throw new PackageIntegrityError(`${where}: field files[${i}]: the manifest cannot list itself`);
    }
    listed.set(f.path, f);
  });
  const names = new Set<string>();
  m.domains.forEach((d, i) => {
    if (names.has(d.name))
      throw new PackageIntegrityError(`${where}: field domains[${i}].name: domain ${showPath(d.name)} appears twice`);
    names.add(d.name);
  });
  for (const [field, path] of referencedPaths(m)) {
    if (!listed.has(path)) {
      throw new PackageIntegrityError(`${where}: field ${field}: file ${showPath(path)} is not listed in files[]`);
    }
  }
  const base = listed.get(m.base.file)!;
  if (base.sha256 !== m.base.sha256) {
    throw new PackageIntegrityError(
      `${where}: field base.sha256 does not match the sha256 files[] lists for ${showPath(m.base.file)}`,
    );
  }
}

/** Parses and checks a manifest (already parsed from JSON); `where` names it in messages. */
export function parseTransferPackage(json: unknown, where = PACKAGE_MANIFEST): TransferPackage {
  const parsed = TransferPackageSchema.safeParse(json);
  if (!parsed.success) throw schemaError(where, parsed.error, json);
  checkConsistency(parsed.data, where);
  return parsed.data;
}

/**
 * Writes download_package.json into `dir`: lists and hashes every file in the folder (except the manifest and
 * .tar archives) into files[], validates the whole manifest, and writes it atomically. Returns what it wrote.
 * Every path the manifest refers to must be a file in the folder.
 */
export async function writeTransferPackage(dir: string, input: TransferPackageInput): Promise<TransferPackage> {
  const paths = await listFiles(dir, { exclude: (p) => p === PACKAGE_MANIFEST || p.endsWith('.tar') });
  const files = await fileEntries(dir, paths);
  const where = `writing ${showPath(join(dir, PACKAGE_MANIFEST))}`;
  const manifest = parseTransferPackage(
    { ...input, schemaVersion: PACKAGE_SCHEMA_VERSION, package_type: PACKAGE_TYPE, files },
    where,
  );
  await writeJsonAtomic(join(dir, PACKAGE_MANIFEST), manifest);
  return manifest;
}

export interface VerifiedPackage {
  /** The package folder: the one given, the manifest's folder, or a temporary folder the .tar was extracted to. */
  readonly root: string;
  readonly manifest: TransferPackage;
  /** Removes the temporary folder a .tar was extracted to; does nothing for a folder. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface VerifyOptions {
  /** Where a .tar is extracted (in a fresh folder inside it); the system temporary folder by default. */
  readonly tempDir?: string;
}

/** The folder in an extracted archive that holds the manifest: its top, or its single top-level folder. */
async function findExtractedRoot(extracted: string, tarPath: string): Promise<string> {
  if (await lstat(join(extracted, PACKAGE_MANIFEST)).catch(() => null)) return extracted;
  const entries = await readdir(extracted, { withFileTypes: true });
  if (entries.length === 1 && entries[0].isDirectory()) {
    const inner = join(extracted, entries[0].name);
    if (await lstat(join(inner, PACKAGE_MANIFEST)).catch(() => null)) return inner;
  }
  throw new PackageIntegrityError(
    `${showPath(tarPath)}: no ${PACKAGE_MANIFEST} at the top of the archive or in its single top-level folder`,
  );
}

/** Checks every listed file against the manifest: inside the folder, a regular file, its size, then its sha256. */
async function checkFiles(root: string, m: TransferPackage): Promise<void> {
  const realRoot = await realpath(root);
  for (const f of m.files) {
    const abs = join(root, f.path);
    const s = await lstat(abs).catch(() => null);
    if (!s)
      throw new PackageIntegrityError(
        `file ${showPath(f.path)} is missing from the package (manifest says ${f.bytes} bytes)`,
      );
    if (!s.isFile())
      throw new PackageIntegrityError(
        `file ${showPath(f.path)} is not a regular file (a package holds plain files only)`,
      );
    const real = await realpath(abs);
    if (!real.startsWith(realRoot + sep)) {
      throw new PackageIntegrityError(
        `file ${showPath(f.path)} resolves outside the package folder (through a symbolic link)`,
      );
    }
    if (s.size !== f.bytes) {
      throw new PackageIntegrityError(
        `file ${showPath(f.path)} is ${s.size} bytes, manifest says ${f.bytes} (truncated or incomplete download)`,
      );
    }
  }
  const total = m.files.reduce((a, f) => a + f.bytes, 0);
  const progress =
    total >= PROGRESS_MIN_BYTES ? startProgress({ label: 'verify sha256', total, unit: 'MB', scale: 1e6 }) : null;
  let done = 0;
  try {
    for (const f of m.files) {
      const { sha256, bytes } = await hashFile(join(root, f.path), (n) => {
        done += n;
        progress?.update(done, f.path);
      });
      if (bytes !== f.bytes) {
        throw new PackageIntegrityError(
          `file ${showPath(f.path)} is ${bytes} bytes, manifest says ${f.bytes} (it changed while being read)`,
        );
      }
      if (sha256 !== f.sha256) {
        throw new PackageIntegrityError(
          `file ${showPath(f.path)} sha256 mismatch: manifest says ${f.sha256}, file has ${sha256} (the file was altered or corrupted)`,
        );
      }
    }
  } finally {
    progress?.stop();
  }
}

/**
 * Verifies a transfer package given as its folder, its download_package.json, or its .tar (extracted into a fresh
 * temporary folder, which `dispose()` removes). Parses the manifest against the schema, refuses unsafe paths,
 * checks that everything the manifest refers to is listed, and checks every listed file's size and sha256.
 * Nothing is written into the package folder. Every failure is a one-line PackageIntegrityError naming the file.
 */
export async function verifyTransferPackage(path: string, options: VerifyOptions = {}): Promise<VerifiedPackage> {
  const s = await stat(path).catch(() => null);
  if (!s) {
    throw new PackageIntegrityError(
      `no transfer package at ${showPath(path)} (give the package folder, its ${PACKAGE_MANIFEST} or its .tar)`,
    );
  }
  let root: string;
  let temp: string | null = null;
  if (s.isDirectory()) root = path;
  else if (path.endsWith('.tar')) {
    temp = await mkdtemp(join(options.tempDir ?? tmpdir(), 'meetara-package-'));
    try {
      const extracted = join(temp, basename(path, '.tar') || 'package');
      await extractTar(path, extracted);
      root = await findExtractedRoot(extracted, path);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  } else root = dirname(path);
  const tempFolder = temp;
  const dispose = async () => {
    if (tempFolder) await rm(tempFolder, { recursive: true, force: true });
  };
  try {
    const manifestPath = s.isFile() && !path.endsWith('.tar') ? path : join(root, PACKAGE_MANIFEST);
    const where = showPath(temp ? `${path}:${PACKAGE_MANIFEST}` : manifestPath);
    const ms = await lstat(manifestPath).catch(() => null);
    if (!ms?.isFile()) throw new PackageIntegrityError(`${where} is missing or not a regular file`);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (err) {
      throw new PackageIntegrityError(`${where} is not valid JSON: ${(err as Error).message.replace(/\s+/g, ' ')}`);
    }
    const manifest = parseTransferPackage(json, where);
    await checkFiles(root, manifest);
    return { root, manifest, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
