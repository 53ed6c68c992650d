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
import { z } from 'zod';
import { domainByName } from '../data/catalog.ts';
import { InputError } from '../errors.ts';
import { GgufFile } from '../gguf/reader.ts';
import { chatTemplateOf } from '../model/chat-template.ts';
import { hashTensors } from '../quant/hash.ts';
import { QuantPool } from '../quant/pool.ts';
import { quantizeFile } from '../quant/quantize-file.ts';
import { readChatJsonl } from '../trainer/data.ts';
import { METRICS_FILE } from '../trainer/finetune.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.ts';
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
  try {
    const m = pkg.manifest;
    const src = (rel: string) => join(pkg.root, rel);
    const shaOf = new Map(m.files.map((f) => [f.path, f.sha256]));
    const sha = (rel: string) => shaOf.get(rel) as string;
    log(`package: ${m.domains.length} domains on ${m.base.architecture} (${m.base.parameters} parameters), verified`);
    log(`profile: ${profile.name} (full ${profile.full}, lite ${profile.lite}): ${reason}`);

    const out = o.out ?? COMPRESS_DEFAULTS.out;
    mkdirSync(out, { recursive: true });
    const cache = new OutputCache(out, o.force ?? false);
    const at = (rel: string) => join(out, rel);
    const size = async (rel: string) => (await stat(at(rel))).size;
    const modelFile = async (rel: string, type: string): Promise<ModelFile> => ({
      file: rel,
      type,
      bytes: await size(rel),
    });
    const text = (rel: string, body: string) =>
      cache.produce(rel, outputKey({ text: body }), (p) => writeFileAtomic(p, body));

    const baseMd = GgufFile.open(src(m.base.file));
    const template = chatTemplateOf(baseMd.metadata).template;
    baseMd.close();
    const stop = [endOfTurnText(template)].filter((s) => s.length > 0);
    const heldoutOf = new Map(
      m.domains.map((d) => [d.name, readChatJsonl(src(d.data.heldout)).samples.map((s) => s.sample)] as const),
    );
    const systemOf = (name: string) =>
      heldoutOf.get(name)?.[0]?.messages.find((msg) => msg.role === 'system')?.content ??
      domainByName(name).system_prompt;

    const pool = new QuantPool(threads);
    try {
      const quantize = (input: string, inputSha: string, rel: string, type: string) =>
        cache.produce(rel, outputKey({ op: 'quantize', input: inputSha, type }), (p) =>
          quantizeFile(input, p, { type, pool, progress: false }).then(() => undefined),
        );

      // 2. Per-domain models.
      const individual = await timed('quantize', async () => {
        const rows: DeploymentPackage['models']['individual_domains'] = [];
        for (const d of m.domains) {
          const dir = `domains/${d.name}`;
          const full = `${dir}/${d.name}.${profile.full}.gguf`;
          const lite = `${dir}/${d.name}.${profile.lite}.gguf`;
          await quantize(src(d.files.full), sha(d.files.full), full, profile.full);
          await quantize(src(d.files.full), sha(d.files.full), lite, profile.lite);
          const mf = `${dir}/Modelfile`;
          await text(
            mf,
            modelfile({
              from: `./${d.name}.${profile.lite}.gguf`,
              system: systemOf(d.name),
              chatTemplate: template,
              stop,
            }),
          );
          rows.push({
            name: d.name,
            full: await modelFile(full, profile.full),
            lite: await modelFile(lite, profile.lite),
            modelfile: mf,
          });
          log(
            `${d.name}: full ${profile.full} ${mb(rows.at(-1)!.full.bytes)}, lite ${profile.lite} ${mb(rows.at(-1)!.lite.bytes)}`,
          );
        }
        return rows;
      });

      // 3. The shared-base pack.
      const pack = await timed('universal', async () => {
        const baseRel = `universal/base.${profile.full}.gguf`;
        await quantize(src(m.base.file), m.base.sha256, baseRel, profile.full);
        const adapters: { domain: string; file: string; bytes: number }[] = [];
        const modelfiles: { domain: string; file: string }[] = [];
        for (const d of m.domains) {
          const rel = `universal/adapters/${d.name}.gguf`;
          await cache.produce(rel, outputKey({ op: 'copy', input: sha(d.files.adapter) }), async (p) =>
            writeFileAtomic(p, await readFile(src(d.files.adapter))),
          );
          adapters.push({ domain: d.name, file: rel, bytes: await size(rel) });
          const mf = `universal/Modelfile.${d.name}`;
          await text(
            mf,
            modelfile({
              from: `./base.${profile.full}.gguf`,
              adapter: `./adapters/${d.name}.gguf`,
              system: systemOf(d.name),
              chatTemplate: template,
              stop,
            }),
          );
          modelfiles.push({ domain: d.name, file: mf });
        }
        const routerRel = 'universal/router.json';
        const routerKey = outputKey({
          op: 'router',
          data: m.domains.map((d) => [d.name, sha(d.data.train), sha(d.data.heldout)]),
        });
        await cache.produce(routerRel, routerKey, (p) =>
          writeJsonAtomic(
            p,
            buildDomainRouter(
              m.domains.map((d) => ({ name: d.name, train: src(d.data.train), heldout: src(d.data.heldout) })),
            ),
          ),
        );
        const serveRel = 'universal/serve.sh';
        await text(
          serveRel,
          serveScript(
            `base.${profile.full}.gguf`,
            adapters.map((a) => ({ domain: a.domain, file: relative('universal', a.file) })),
          ),
        );
        await chmod(at(serveRel), 0o755);
        const hashes = await Promise.all(individual.map((d) => hashTensors(at(d.full.file), { pool })));
        const shared = sharedTensors(hashes, await hashTensors(at(baseRel), { pool }));
        const files = [baseRel, ...adapters.map((a) => a.file), ...modelfiles.map((f) => f.file), routerRel, serveRel];
        let bytes = 0;
        for (const f of files) bytes += await size(f);
        const sumOfFull = individual.reduce((n, d) => n + d.full.bytes, 0);
        log(
          `universal pack: ${mb(bytes)} against ${mb(sumOfFull)} for ${individual.length} full models (${pct(1 - bytes / sumOfFull)} smaller); ` +
            `${shared.identical} of ${shared.total} tensors identical in every domain model, stored once`,
        );
        return {
          base: await modelFile(baseRel, profile.full),
          adapters,
          modelfiles,
          router: routerRel,
          serve: serveRel,
          bytes,
          sum_of_full_bytes: sumOfFull,
          reduction: 1 - bytes / sumOfFull,
          shared_tensors: shared,
        };
      });

      // 4. The merged universal model.
      const merged = await timed('merged', async () => {
        const f16 = `.meetara/work/merged-${merge}.F16.gguf`;
        const inputs = { base: m.base.sha256, adapters: m.domains.map((d) => sha(d.files.adapter)), merge, density };
        await cache.produce(f16, outputKey({ op: 'merge', ...inputs }), (p) =>
          writeMergedModel(
            src(m.base.file),
            m.domains.map((d) => src(d.files.adapter)),
            p,
            { method: merge, density },
          ),
        );
        const f16Sha = cache.sha256(f16);
        const full = `merged/merged-${merge}.${profile.full}.gguf`;
        const lite = `merged/merged-${merge}.${profile.lite}.gguf`;
        await quantize(at(f16), f16Sha, full, profile.full);
        await quantize(at(f16), f16Sha, lite, profile.lite);
        const mf = 'merged/Modelfile';
        await text(mf, modelfile({ from: `./merged-${merge}.${profile.lite}.gguf`, chatTemplate: template, stop }));
        return {
          method: merge,
          density: merge === 'ties' ? density : null,
          full: await modelFile(full, profile.full),
          lite: await modelFile(lite, profile.lite),
          modelfile: mf,
        };
      });

      // 5. Quality, through llama.cpp (remeasured only when a model or the held-out data changed).
      const router = JSON.parse(readFileSync(at(pack.router), 'utf8'));
      const qualityKey = outputKey({
        op: 'quality',
        models: [
          ...individual.flatMap((d) => [d.full.file, d.lite.file]),
          pack.base.file,
          ...pack.adapters.map((a) => a.file),
          merged.full.file,
          merged.lite.file,
        ].map((f) => cache.sha256(f)),
        base: m.base.sha256,
        heldout: m.domains.map((d) => sha(d.data.heldout)),
        router: cache.sha256(pack.router),
        limit: heldout,
        threads,
      });
      await timed('quality', () =>
        cache.produce(QUALITY_REPORT, qualityKey, async (p) => {
          log(`quality: measuring with llama.cpp on up to ${heldout} held-out conversations per domain`);
          const report = await measureQuality({
            base: src(m.base.file),
            packBase: at(pack.base.file),
            mergedFull: at(merged.full.file),
            mergedLite: at(merged.lite.file),
            domains: m.domains.map((d, i) => ({
              name: d.name,
              heldout: (heldoutOf.get(d.name) ?? []).slice(0, heldout),
              full: at(individual[i]!.full.file),
              lite: at(individual[i]!.lite.file),
              adapter: at(pack.adapters[i]!.file),
            })),
            router,
            threads,
            show: (path) => relative(out, path),
            log,
          });
          await writeJsonAtomic(p, QualityReportSchema.parse(report));
        }),
      );
      const quality = QualityReportSchema.parse(JSON.parse(readFileSync(at(QUALITY_REPORT), 'utf8')));

      // 6. Sizes under every profile (exact, from the quantization plan), the docs and the manifest.
      const sizes = Object.values(PROFILES).map((p) => {
        const f16 = m.domains.reduce((n, d) => n + (m.files.find((f) => f.path === d.files.full)?.bytes ?? 0), 0);
        const full = m.domains.reduce((n, d) => n + quantizedFileBytes(src(d.files.full), p.full), 0);
        const lite = m.domains.reduce((n, d) => n + quantizedFileBytes(src(d.files.full), p.lite), 0);
        return {
          profile: p.name,
          full_type: p.full,
          lite_type: p.lite,
          f16_bytes: f16,
          full_bytes: full,
          lite_bytes: lite,
          lite_reduction: 1 - lite / f16,
          nominal_reduction: p.nominalReduction,
          measured: p.name === profile.name,
        };
      });
      const stale = await cache.removeStale();
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
        sizes,
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
        await cache.write('README.md', deployReadme(manifestBody, quality));
        const curves = await lossCurves(pkg.root, m);
        await cache.write('report.html', renderReport(reportInput(manifestBody, quality, curves, timings)));
      });
      timings.total = (performance.now() - started) / 1000;
      const paths = await listFiles(out, { exclude: (p) => p === DEPLOYMENT_MANIFEST || p.startsWith('.meetara/') });
      const manifest = DeploymentPackageSchema.parse({
        ...manifestBody,
        timings,
        files: await fileEntries(out, paths),
      });
      await cache.write(DEPLOYMENT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
      if (cache.skipped.length > 0) log(`kept ${cache.skipped.length} outputs whose inputs were unchanged`);
      log(`deployment: ${at(DEPLOYMENT_MANIFEST)}; report: ${at('report.html')}`);
      return { out, manifest, quality, report: at('report.html'), reused: cache.skipped };
    } finally {
      await pool.destroy();
    }
  } finally {
    await pkg.dispose();
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The lite model's latency row on the thread count the evaluation chose. */
export function liteLatency(q: QualityReport): QualityReport['latency'][number] | undefined {
  return q.latency.find((l) => l.kind === 'lite' && l.threads === q.threads);
}

const MetricsLine = z.object({ step: z.number(), loss: z.number() });

/** The training loss curves the transfer package carries (each domain's metrics.jsonl, where present). */
async function lossCurves(root: string, m: TransferPackage) {
  return Promise.all(
    m.domains
      .map((d) => ({ domain: d.name, file: join(root, dirname(d.files.adapter), METRICS_FILE) }))
      .filter((c) => existsSync(c.file) && m.files.some((f) => f.path === relative(root, c.file)))
      .map(async (c) => ({
        domain: c.domain,
        points: (await readFile(c.file, 'utf8'))
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => MetricsLine.parse(JSON.parse(l))),
      })),
  );
}
