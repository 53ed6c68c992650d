// What `meetara compress` hands to the people who deploy: deploy/deployment_package.json, beside the models, the
// universal pack, quality_report.json, README.md and report.html. Schemas as types (zod), like the transfer
// package's. Every figure in them is measured in the run or computed from the files; the original guide's claims
// appear only under `claims`, labelled as such.

import { z } from 'zod';
import { FileEntrySchema, PackagePathSchema } from './transfer-package.ts';

export const DEPLOYMENT_MANIFEST = 'deployment_package.json';
export const QUALITY_REPORT = 'quality_report.json';
export const DEPLOYMENT_PACKAGE_TYPE = 'meetara_lab_deployment_ready' as const;
export const DEPLOYMENT_SCHEMA_VERSION = 1 as const;

const Count = z.number().int().nonnegative();
const NonNegative = z.number().nonnegative();
const Positive = z.number().positive();
const Fraction = z.number().min(0).max(1);

/** A model file in the deployment: where, its llama-quantize type, and its size. */
export const ModelFileSchema = z.object({ file: PackagePathSchema, type: z.string().min(1), bytes: Count });
export type ModelFile = z.infer<typeof ModelFileSchema>;

const AccuracySchema = z.object({ correct: Count, total: Count, rate: Fraction });

/** One profile's deployment size, exact from the quantization plan; `measured` marks the profile this run wrote. */
export const ProfileSizeSchema = z.object({
  profile: z.string(),
  full_type: z.string(),
  lite_type: z.string(),
  /** The domains' F16 full models, as the transfer package holds them. */
  f16_bytes: Count,
  full_bytes: Count,
  lite_bytes: Count,
  /** 1 − lite/F16. */
  lite_reduction: z.number(),
  /** The guide's nominal target for this profile (a claim, not a result). */
  nominal_reduction: Fraction,
  measured: z.boolean(),
});
export type ProfileSize = z.infer<typeof ProfileSizeSchema>;

export const LATENCY_KINDS = ['full', 'lite', 'pack', 'merged full', 'merged lite'] as const;

export const LatencyRowSchema = z.object({
  model: z.string(),
  kind: z.enum(LATENCY_KINDS),
  file: PackagePathSchema,
  adapter: PackagePathSchema.nullable(),
  prompts: Count,
  threads: z.number().int().positive(),
  ttft_ms_p50: NonNegative,
  ttft_ms_p95: NonNegative,
  tokens_per_second: NonNegative,
});

export const EmpathyRowSchema = z.object({ rate: Fraction, markers_per_reply: NonNegative, replies: Count });

export const DomainQualitySchema = z.object({
  name: z.string(),
  heldout_conversations: Count,
  scored_tokens: Count,
  /** Held-out perplexity through llama.cpp, over assistant tokens. */
  perplexity: z.object({
    base: Positive,
    full: Positive,
    lite: Positive,
    pack: Positive,
    merged_full: Positive,
    merged_lite: Positive,
  }),
  /** Lite against full: the llama-perplexity KL-divergence method. */
  retention: z.object({ top1_agreement: Fraction, mean_kl: NonNegative, max_kl: NonNegative, positions: Count }),
  empathy: z.object({ base: EmpathyRowSchema, tuned: EmpathyRowSchema }),
});
export type DomainQuality = z.infer<typeof DomainQualitySchema>;

export const QualityReportSchema = z.object({
  schemaVersion: z.literal(1),
  measured_with: z.string(),
  /** llama.cpp threads the perplexity, retention and empathy passes used: the faster of all cores and one. */
  threads: z.number().int().positive(),
  domains: z.array(DomainQualitySchema),
  /** Over all domains' positions. */
  retention: z.object({ top1_agreement: Fraction, mean_kl: NonNegative, positions: Count }),
  latency: z.array(LatencyRowSchema),
  router: AccuracySchema,
  /** The original guide's claims, for comparison only. */
  claims: z.object({ retention: z.tuple([Fraction, Fraction]), ttft_ms: Positive }),
  seconds: NonNegative,
});
export type QualityReport = z.infer<typeof QualityReportSchema>;

export const DeploymentPackageSchema = z.object({
  schemaVersion: z.literal(DEPLOYMENT_SCHEMA_VERSION),
  package_type: z.literal(DEPLOYMENT_PACKAGE_TYPE),
  created: z.iso.datetime({ offset: true }),
  source: z.object({
    /** The transfer package's manifest sha256 and creation time. */
    manifest_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    created: z.string(),
    base: z.object({ sha256: z.string(), architecture: z.string(), parameters: Count }),
  }),
  profile: z.object({ name: z.string(), full: z.string(), lite: z.string(), reason: z.string() }),
  hardware: z.object({
    cpu: z.string(),
    cores: z.number().int().positive(),
    memory_bytes: Count,
    platform: z.string(),
  }),
  models: z.object({
    individual_domains: z.array(
      z.object({ name: z.string(), full: ModelFileSchema, lite: ModelFileSchema, modelfile: PackagePathSchema }),
    ),
    universal: z.object({
      pack: z.object({
        base: ModelFileSchema,
        adapters: z.array(z.object({ domain: z.string(), file: PackagePathSchema, bytes: Count })),
        modelfiles: z.array(z.object({ domain: z.string(), file: PackagePathSchema })),
        router: PackagePathSchema,
        serve: PackagePathSchema,
        /** Every file of the pack together. */
        bytes: Count,
        /** The per-domain full models it replaces, together. */
        sum_of_full_bytes: Count,
        /** 1 − bytes / sum_of_full_bytes. */
        reduction: z.number(),
        /** Tensors whose content hash is the same in every domain's full model: stored once, in the base. */
        shared_tensors: z.object({ identical: Count, total: Count }),
      }),
      merged: z.object({
        method: z.string(),
        density: Fraction.nullable(),
        full: ModelFileSchema,
        lite: ModelFileSchema,
        modelfile: PackagePathSchema,
      }),
    }),
  }),
  sizes: z.array(ProfileSizeSchema),
  router: z.object({ file: PackagePathSchema, method: z.string(), accuracy: AccuracySchema }),
  voice_profiles: z.array(
    z.object({ domain: z.string(), profile: z.string(), speaking_rate: z.number(), pitch: z.number() }),
  ),
  quality: z.object({
    file: PackagePathSchema,
    retention_top1: Fraction,
    mean_kl: NonNegative,
    /** The lite model's median time to first token, on the evaluation's thread count. */
    ttft_ms_p50: NonNegative,
  }),
  /** Wall seconds per phase. */
  timings: z.record(z.string(), NonNegative),
  /** Every other file of the deployment, with its size and sha256. */
  files: z.array(FileEntrySchema),
});
export type DeploymentPackage = z.infer<typeof DeploymentPackageSchema>;
