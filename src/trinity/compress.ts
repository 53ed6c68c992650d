// `meetara compress` (npm run compress), the local side, top to bottom:
//   1. intake: the transfer package's schema, and every file's size and sha256, before anything is written
//   2. per-domain models: each domain's F16 full model quantized to the profile's full and lite types (the pool)
//   3. the universal pack: the base quantized once, every adapter, router.json, a Modelfile per domain, serve.sh;
//      tensor hashes show which tensors every domain model shares (the pack stores them once)
//   4. the merged universal model: all domains' deltas merged (linear or TIES) into the base, full and lite
//   5. quality_report.json, measured through llama.cpp
//   6. README.md, report.html and deployment_package.json (every file's size and sha256)
// Each output is skipped when its inputs are unchanged (output-cache.ts) and written atomically.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chmod, readFile, stat } from 'node:fs/promises';
import { availableParallelism, cpus, platform, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { domainByName } from '../data/catalog.ts';
import { InputError } from '../errors.ts';
import { GgufFile } from '../gguf/reader.ts';
import { chatTemplateOf } from '../model/chat-template.ts';
import { hashTensors } from '../quant/hash.ts';
import { QuantPool } from '../quant/pool.ts';
import { quantizeFile } from '../quant/quantize-file.ts';
import { type ChatSample, readChatJsonl } from '../trainer/data.ts';
import { METRICS_FILE, readMetrics } from '../trainer/finetune.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.ts';
import { megabytes, percent } from '../util/format.ts';
import { deployReadme, type ManifestBody, reportInput } from './deploy-docs.ts';
import {
  DEPLOYMENT_MANIFEST,
  DEPLOYMENT_PACKAGE_TYPE,
  DEPLOYMENT_SCHEMA_VERSION,
  type DeploymentPackage,
  DeploymentPackageSchema,
  type ModelFile,
  QUALITY_REPORT,
  type QualityReport,
  QualityReportSchema,
} from './deployment-package.ts';
import { MERGE_METHODS, type MergeMethod } from './merge.ts';
import { writeMergedModel } from './merged-model.ts';
import { endOfTurnText, modelfile } from './modelfile.ts';
import { OutputCache, outputKey } from './output-cache.ts';
import { fileEntries, listFiles, sha256File } from './package-files.ts';
import { autoProfile, PROFILE_NAMES, PROFILES, type Profile } from './profiles.ts';
import { measureQuality } from './quality-report.ts';
import { renderReport } from './report-html.ts';
import { type Router, RouterSchema } from './router.ts';
import { quantizedFileBytes } from './size-plan.ts';
import { PACKAGE_MANIFEST, type TransferPackage, verifyTransferPackage } from './transfer-package.ts';
import { buildDomainRouter, serveScript, sharedTensors } from './universal-pack.ts';

export const COMPRESS_PROFILES = [...PROFILE_NAMES, 'auto'] as const;
export const COMPRESS_DEFAULTS = {
  out: 'deploy',
  profile: 'auto',
  merge: 'ties' as MergeMethod,
  density: 0.2,
  heldout: 32,
};

export interface CompressOptions {
  /** The transfer package: its folder, its download_package.json, or its .tar. */
  readonly package: string;
  readonly profile?: string;
  readonly out?: string;
  readonly threads?: number;
  /** Rebuild every output even when its inputs are unchanged. */
  readonly force?: boolean;
  readonly merge?: string;
  /** TIES: the share of each delta kept. */
  readonly density?: number;
  /** Held-out conversations measured per domain (at most). */
  readonly heldout?: number;
  readonly log?: (line: string) => void;
}

export interface CompressResult {
  readonly out: string;
  readonly manifest: DeploymentPackage;
  readonly quality: QualityReport;
  readonly report: string;
  /** Outputs kept from an earlier run because their inputs were unchanged. */
  readonly reused: readonly string[];
}

/** The profile to use and why. */
export function resolveProfile(name: string): { profile: Profile; reason: string } {
  if (name === 'auto') return autoProfile();
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`--profile ${name}: choose one of ${COMPRESS_PROFILES.join(', ')}`);
  }
  return { profile: PROFILES[name as Profile['name']], reason: `--profile ${name}` };
}

function checkOptions(o: CompressOptions): { threads: number; merge: MergeMethod; density: number; heldout: number } {
  const threads = o.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1)
    throw new InputError(`--threads must be a positive integer, got ${threads}`);
  const merge = o.merge ?? COMPRESS_DEFAULTS.merge;
  if (!(MERGE_METHODS as readonly string[]).includes(merge)) {
    throw new InputError(`--merge ${merge}: choose one of ${MERGE_METHODS.join(', ')}`);
  }
  const density = o.density ?? COMPRESS_DEFAULTS.density;
  if (!(density > 0 && density <= 1)) throw new InputError(`--density must be in (0, 1], got ${density}`);
  const heldout = o.heldout ?? COMPRESS_DEFAULTS.heldout;
  if (!Number.isInteger(heldout) || heldout < 1)
    throw new InputError(`--heldout must be a positive integer, got ${heldout}`);
  return { threads, merge: merge as MergeMethod, density, heldout };
}

/** What every phase of one run shares: the verified package, the profile, the output cache and the pool. */
interface Run {
  readonly m: TransferPackage;
  readonly profile: Profile;
  readonly cache: OutputCache;
  readonly pool: QuantPool;
  readonly log: (line: string) => void;
  /** The base's chat template, and the text that ends a turn under it. */
  readonly template: string;
  readonly stop: readonly string[];
  /** Each domain's held-out conversations, from the package. */
  readonly heldout: ReadonlyMap<string, readonly ChatSample[]>;
  /** A path inside the transfer package, and the sha256 its manifest lists. */
  src(rel: string): string;
  sha(rel: string): string;
  /** A path inside the deployment. */
  at(rel: string): string;
}

type Individual = DeploymentPackage['models']['individual_domains'];
type Pack = DeploymentPackage['models']['universal']['pack'];
type Merged = DeploymentPackage['models']['universal']['merged'];

export async function compressWorkflow(o: CompressOptions): Promise<CompressResult> {
  const started = performance.now();
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { profile, reason } = resolveProfile(o.profile ?? COMPRESS_DEFAULTS.profile);
  const { threads, merge, density, heldout } = checkOptions(o);
  const timings: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + (performance.now() - t0) / 1000;
    }
  };

  // 1. Intake: nothing is written until the package checks out.
  const pkg = await timed('intake', () => verifyTransferPackage(o.package));
  const out = o.out ?? COMPRESS_DEFAULTS.out;
  const pool = new QuantPool(threads);
  try {
    const m = pkg.manifest;
    log(`package: ${m.domains.length} domains on ${m.base.architecture} (${m.base.parameters} parameters), verified`);
    log(`profile: ${profile.name} (full ${profile.full}, lite ${profile.lite}): ${reason}`);
    mkdirSync(out, { recursive: true });
    const shaOf = new Map(m.files.map((f) => [f.path, f.sha256]));
    const src = (rel: string) => join(pkg.root, rel);
    const baseMd = GgufFile.open(src(m.base.file));
    const template = chatTemplateOf(baseMd.metadata).template;
    baseMd.close();
    const run: Run = {
      m,
      profile,
      cache: new OutputCache(out, o.force ?? false),
      pool,
      log,
      template,
      stop: [endOfTurnText(template)].filter((s) => s.length > 0),
      heldout: new Map(m.domains.map((d) => [d.name, readChatJsonl(src(d.data.heldout)).samples.map((s) => s.sample)])),
      src,
      sha: (rel) => shaOf.get(rel) as string,
      at: (rel) => join(out, rel),
    };

    // 2–5. The models, then their quality.
    const individual = await timed('quantize', () => domainModels(run));
    const pack = await timed('universal', () => sharedBasePack(run, individual));
    const merged = await timed('merged', () => mergedModel(run, merge, density));
    const router = RouterSchema.parse(JSON.parse(readFileSync(run.at(pack.router), 'utf8')));
    const quality = await timed('quality', () =>
      qualityReport(run, { individual, pack, merged, router, heldout, threads, out }),
    );

    // 6. The manifest, the docs, and the outputs of earlier runs this one no longer makes.
    const stale = await run.cache.removeStale();
    if (stale.length > 0) log(`removed ${stale.length} outputs of an earlier run that this run no longer makes`);
    const manifestBody: ManifestBody = {
      schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
      package_type: DEPLOYMENT_PACKAGE_TYPE,
      created: new Date().toISOString(),
      source: {
        manifest_sha256: await sha256File(join(pkg.root, PACKAGE_MANIFEST)),
        created: m.created,
        base: { sha256: m.base.sha256, architecture: m.base.architecture, parameters: m.base.parameters },
      },
      profile: { name: profile.name, full: profile.full, lite: profile.lite, reason },
      hardware: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: availableParallelism(),
        memory_bytes: totalmem(),
        platform: `${platform()}-${process.arch}`,
      },
      models: { individual_domains: individual, universal: { pack, merged } },
      sizes: profileSizes(run),
      router: { file: pack.router, method: router.method, accuracy: quality.router },
      voice_profiles: m.domains.map((d) => {
        const v = domainByName(d.name).voice;
        return { domain: d.name, profile: v.profile, speaking_rate: v.rate, pitch: v.pitch };
      }),
      quality: {
        file: QUALITY_REPORT,
        retention_top1: quality.retention.top1_agreement,
        mean_kl: quality.retention.mean_kl,
        ttft_ms_p50: liteLatency(quality)?.ttft_ms_p50 ?? 0,
      },
      timings,
    };
    await timed('docs', async () => {
      await run.cache.write('README.md', deployReadme(manifestBody, quality));
      const curves = lossCurves(pkg.root, m);
      await run.cache.write('report.html', renderReport(reportInput(manifestBody, quality, curves, timings)));
    });
    timings.total = (performance.now() - started) / 1000;
    const paths = await listFiles(out, { exclude: (p) => p === DEPLOYMENT_MANIFEST || p.startsWith('.meetara/') });
    const manifest = DeploymentPackageSchema.parse({ ...manifestBody, timings, files: await fileEntries(out, paths) });
    await run.cache.write(DEPLOYMENT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
    if (run.cache.skipped.length > 0) log(`kept ${run.cache.skipped.length} outputs whose inputs were unchanged`);
    log(`deployment: ${run.at(DEPLOYMENT_MANIFEST)}; report: ${run.at('report.html')}`);
    return { out, manifest, quality, report: run.at('report.html'), reused: run.cache.skipped };
  } finally {
    await pool.destroy();
    await pkg.dispose();
  }
}

/** Quantizes `input` (whose sha256 is `inputSha`) to `type` at `rel`, unless that was done already. */
const quantize = (r: Run, input: string, inputSha: string, rel: string, type: string) =>
  r.cache.produce(rel, outputKey({ op: 'quantize', input: inputSha, type }), (p) =>
    quantizeFile(input, p, { type, pool: r.pool, progress: false }).then(() => undefined),
  );

/** A text output, keyed by its own content. */
const text = (r: Run, rel: string, body: string) =>
  r.cache.produce(rel, outputKey({ text: body }), (p) => writeFileAtomic(p, body));

const modelFile = async (r: Run, rel: string, type: string): Promise<ModelFile> => ({
  file: rel,
  type,
  bytes: (await stat(r.at(rel))).size,
});

/** The system prompt a domain was trained with (its held-out conversations carry it), else the catalog's. */
const systemOf = (r: Run, domain: string): string =>
  r.heldout.get(domain)?.[0]?.messages.find((msg) => msg.role === 'system')?.content ??
  domainByName(domain).system_prompt;

/** 2. Each domain's F16 full model from the package, quantized to the profile's full and lite types. */
async function domainModels(r: Run): Promise<Individual> {
  const rows: Individual = [];
  for (const d of r.m.domains) {
    const dir = `domains/${d.name}`;
    const full = `${dir}/${d.name}.${r.profile.full}.gguf`;
    const lite = `${dir}/${d.name}.${r.profile.lite}.gguf`;
    await quantize(r, r.src(d.files.full), r.sha(d.files.full), full, r.profile.full);
    await quantize(r, r.src(d.files.full), r.sha(d.files.full), lite, r.profile.lite);
    const mf = `${dir}/Modelfile`;
    const from = `./${d.name}.${r.profile.lite}.gguf`;
    await text(r, mf, modelfile({ from, system: systemOf(r, d.name), chatTemplate: r.template, stop: r.stop }));
    const row = {
      name: d.name,
      full: await modelFile(r, full, r.profile.full),
      lite: await modelFile(r, lite, r.profile.lite),
      modelfile: mf,
    };
    rows.push(row);
    r.log(
      `${d.name}: full ${r.profile.full} ${megabytes(row.full.bytes)}, lite ${r.profile.lite} ${megabytes(row.lite.bytes)}`,
    );
  }
  return rows;
}

/**
 * 3. The shared-base pack: the base quantized once, every adapter, a Modelfile per domain, router.json and
 * serve.sh; and, from tensor hashes, how many tensors every domain model holds identically (stored once here).
 */
async function sharedBasePack(r: Run, individual: Individual): Promise<Pack> {
  const baseFile = `base.${r.profile.full}.gguf`;
  const baseRel = `universal/${baseFile}`;
  await quantize(r, r.src(r.m.base.file), r.m.base.sha256, baseRel, r.profile.full);
  const adapters: Pack['adapters'] = [];
  const modelfiles: Pack['modelfiles'] = [];
  for (const d of r.m.domains) {
    const rel = `universal/adapters/${d.name}.gguf`;
    await r.cache.produce(rel, outputKey({ op: 'copy', input: r.sha(d.files.adapter) }), async (p) =>
      writeFileAtomic(p, await readFile(r.src(d.files.adapter))),
    );
    adapters.push({ domain: d.name, file: rel, bytes: (await stat(r.at(rel))).size });
    const mf = `universal/Modelfile.${d.name}`;
    const adapter = `./adapters/${d.name}.gguf`;
    const system = systemOf(r, d.name);
    await text(r, mf, modelfile({ from: `./${baseFile}`, adapter, system, chatTemplate: r.template, stop: r.stop }));
    modelfiles.push({ domain: d.name, file: mf });
  }
  const routerRel = 'universal/router.json';
  const routerData = r.m.domains.map((d) => [d.name, r.sha(d.data.train), r.sha(d.data.heldout)]);
  await r.cache.produce(routerRel, outputKey({ op: 'router', data: routerData }), (p) =>
    writeJsonAtomic(
      p,
      buildDomainRouter(
        r.m.domains.map((d) => ({ name: d.name, train: r.src(d.data.train), heldout: r.src(d.data.heldout) })),
      ),
    ),
  );
  const serveRel = 'universal/serve.sh';
  await text(
    r,
    serveRel,
    serveScript(
      baseFile,
      adapters.map((a) => ({ domain: a.domain, file: relative('universal', a.file) })),
    ),
  );
  await chmod(r.at(serveRel), 0o755);

  const hashes = await Promise.all(individual.map((d) => hashTensors(r.at(d.full.file), { pool: r.pool })));
  const shared = sharedTensors(hashes, await hashTensors(r.at(baseRel), { pool: r.pool }));
  const files = [baseRel, ...adapters.map((a) => a.file), ...modelfiles.map((f) => f.file), routerRel, serveRel];
  let bytes = 0;
  for (const f of files) bytes += (await stat(r.at(f))).size;
  const sumOfFull = individual.reduce((n, d) => n + d.full.bytes, 0);
  r.log(
    `universal pack: ${megabytes(bytes)} against ${megabytes(sumOfFull)} for ${individual.length} full models (${percent(1 - bytes / sumOfFull)} smaller); ` +
      `${shared.identical} of ${shared.total} tensors identical in every domain model, stored once`,
  );
  return {
    base: await modelFile(r, baseRel, r.profile.full),
    adapters,
    modelfiles,
    router: routerRel,
    serve: serveRel,
    bytes,
    sum_of_full_bytes: sumOfFull,
    reduction: 1 - bytes / sumOfFull,
    shared_tensors: shared,
  };
}

/** 4. Every domain's delta merged into the base (an F16 intermediate kept in .meetara/), then full and lite. */
async function mergedModel(r: Run, merge: MergeMethod, density: number): Promise<Merged> {
  const f16 = `.meetara/work/merged-${merge}.F16.gguf`;
  const adapters = r.m.domains.map((d) => d.files.adapter);
  const key = outputKey({ op: 'merge', base: r.m.base.sha256, adapters: adapters.map(r.sha), merge, density });
  await r.cache.produce(f16, key, (p) =>
    writeMergedModel(r.src(r.m.base.file), adapters.map(r.src), p, { method: merge, density }),
  );
  const full = `merged/merged-${merge}.${r.profile.full}.gguf`;
  const lite = `merged/merged-${merge}.${r.profile.lite}.gguf`;
  await quantize(r, r.at(f16), r.cache.sha256(f16), full, r.profile.full);
  await quantize(r, r.at(f16), r.cache.sha256(f16), lite, r.profile.lite);
  const mf = 'merged/Modelfile';
  await text(
    r,
    mf,
    modelfile({ from: `./merged-${merge}.${r.profile.lite}.gguf`, chatTemplate: r.template, stop: r.stop }),
  );
  r.log(
    `merged (${merge}): full ${megabytes((await stat(r.at(full))).size)}, lite ${megabytes((await stat(r.at(lite))).size)}`,
  );
  return {
    method: merge,
    density: merge === 'ties' ? density : null,
    full: await modelFile(r, full, r.profile.full),
    lite: await modelFile(r, lite, r.profile.lite),
    modelfile: mf,
  };
}

/** 5. quality_report.json through llama.cpp, measured again only when a model or the held-out data changed. */
async function qualityReport(
  r: Run,
  q: {
    individual: Individual;
    pack: Pack;
    merged: Merged;
    router: Router;
    heldout: number;
    threads: number;
    out: string;
  },
): Promise<QualityReport> {
  const models = [
    ...q.individual.flatMap((d) => [d.full.file, d.lite.file]),
    q.pack.base.file,
    ...q.pack.adapters.map((a) => a.file),
    q.merged.full.file,
    q.merged.lite.file,
  ];
  const key = outputKey({
    op: 'quality',
    models: models.map((f) => r.cache.sha256(f)),
    base: r.m.base.sha256,
    heldout: r.m.domains.map((d) => r.sha(d.data.heldout)),
    router: r.cache.sha256(q.pack.router),
    limit: q.heldout,
    threads: q.threads,
  });
  await r.cache.produce(QUALITY_REPORT, key, async (p) => {
    r.log(`quality: measuring with llama.cpp on up to ${q.heldout} held-out conversations per domain`);
    const report = await measureQuality({
      base: r.src(r.m.base.file),
      packBase: r.at(q.pack.base.file),
      mergedFull: r.at(q.merged.full.file),
      mergedLite: r.at(q.merged.lite.file),
      domains: r.m.domains.map((d, i) => ({
        name: d.name,
        heldout: (r.heldout.get(d.name) ?? []).slice(0, q.heldout),
        full: r.at(q.individual[i]?.full.file as string),
        lite: r.at(q.individual[i]?.lite.file as string),
        adapter: r.at(q.pack.adapters[i]?.file as string),
      })),
      router: q.router,
      threads: q.threads,
      show: (path) => relative(q.out, path),
      log: r.log,
    });
    await writeJsonAtomic(p, QualityReportSchema.parse(report));
  });
  return QualityReportSchema.parse(JSON.parse(readFileSync(r.at(QUALITY_REPORT), 'utf8')));
}

/** Every profile's deployment size over all domains, exact from the quantization plan (no file is written). */
function profileSizes(r: Run): DeploymentPackage['sizes'] {
  const f16 = r.m.domains.reduce((n, d) => n + (r.m.files.find((f) => f.path === d.files.full)?.bytes ?? 0), 0);
  return Object.values(PROFILES).map((p) => {
    const bytes = (type: string) => r.m.domains.reduce((n, d) => n + quantizedFileBytes(r.src(d.files.full), type), 0);
    const lite = bytes(p.lite);
    return {
      profile: p.name,
      full_type: p.full,
      lite_type: p.lite,
      f16_bytes: f16,
      full_bytes: bytes(p.full),
      lite_bytes: lite,
      lite_reduction: 1 - lite / f16,
      nominal_reduction: p.nominalReduction,
      measured: p.name === r.profile.name,
    };
  });
}

/** The lite model's latency row on the thread count the evaluation chose. */
export function liteLatency(q: QualityReport): QualityReport['latency'][number] | undefined {
  return q.latency.find((l) => l.kind === 'lite' && l.threads === q.threads);
}

/** The training loss curves the transfer package carries (each domain's metrics.jsonl, where present). */
function lossCurves(root: string, m: TransferPackage) {
  return m.domains
    .map((d) => ({ domain: d.name, file: join(root, dirname(d.files.adapter), METRICS_FILE) }))
    .filter((c) => existsSync(c.file) && m.files.some((f) => f.path === relative(root, c.file)))
    .map((c) => ({ domain: c.domain, points: readMetrics(c.file).map(({ step, loss }) => ({ step, loss })) }));
}
