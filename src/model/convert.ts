// HF checkpoint folder -> GGUF that llama.cpp loads (our convert_hf_to_gguf for llama and qwen2): config.json
// becomes architecture metadata, safetensors tensors are renamed, llama q/k rows permuted into llama.cpp's RoPE
// layout, and stored as --outtype (1-D tensors stay F32, as llama.cpp's converter keeps them); the tokenizer and
// chat template come from the tokenizer files.

import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { GGML_TYPES, GgmlType, LlamaFileType } from '../gguf/constants.ts';
import { archMetadata, llamaTensorLayout, shapeToNe } from '../gguf/llama.ts';
import { kv } from '../gguf/metadata.ts';
import { type TensorToWrite, writeGguf } from '../gguf/writer.ts';
import { quantize } from '../quant/codecs.ts';
import { startProgress } from '../util/progress.ts';
import { configFromHfConfig, type ModelConfig } from './config.ts';
import { ggufTensorName, hfTensorName, permuteRope, ropePermuteHeads } from './hf-names.ts';
import { tokenizerMetadataFromHf } from './hf-tokenizer.ts';
import { SafetensorsCheckpoint } from './safetensors.ts';
import { readSafetensorF32 } from './weights.ts';

export const OUTTYPES = ['f32', 'f16', 'bf16', 'q8_0'] as const;
export type OutType = (typeof OUTTYPES)[number];

const OUTTYPE: Record<OutType, { type: GgmlType; ftype: LlamaFileType }> = {
  f32: { type: GgmlType.F32, ftype: LlamaFileType.ALL_F32 },
  f16: { type: GgmlType.F16, ftype: LlamaFileType.MOSTLY_F16 },
  bf16: { type: GgmlType.BF16, ftype: LlamaFileType.MOSTLY_BF16 },
  q8_0: { type: GgmlType.Q8_0, ftype: LlamaFileType.MOSTLY_Q8_0 },
};

export interface ConvertOptions {
  readonly outtype?: OutType;
  /** `general.name`; defaults to the folder name. */
  readonly name?: string;
}

export interface ConvertResult {
  readonly out: string;
  readonly config: ModelConfig;
  readonly outtype: OutType;
  readonly tensors: number;
  readonly bytes: number;
}

/** Names HF checkpoints carry that are not weights of the network (llama.cpp's converter skips them too). */
const IGNORED = /(^|\.)rotary_emb\.inv_freq$/;

/** Reads and checks an HF config.json. */
export function readHfConfig(dir: string): ModelConfig {
  const path = join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${path}: file is missing (an HF checkpoint folder needs config.json)`
        : `${path}: not valid JSON (${(err as Error).message})`,
    );
  }
  return configFromHfConfig(json, path);
}

/** The ggml type a tensor is stored as: 1-D tensors stay F32; rows Q8_0 cannot hold fall back to F16. */
function storedType(out: GgmlType, ne: readonly number[]): GgmlType {
  if (ne.length < 2) return GgmlType.F32;
  if (ne[0] % GGML_TYPES[out].blockSize !== 0) return GgmlType.F16;
  return out;
}

export async function convertHfToGguf(
  hfDir: string,
  outPath: string,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const outtype = options.outtype ?? 'f16';
  const cfg = readHfConfig(hfDir);
  const ckpt = SafetensorsCheckpoint.open(hfDir);
  try {
    // Map every checkpoint tensor to its GGUF name; refuse anything that is not part of the network.
    const hfOf = new Map<string, string>();
    for (const hfName of ckpt.names) {
      if (IGNORED.test(hfName)) continue;
      const name = ggufTensorName(hfName);
      if (!name) {
        throw new InputError(`${ckpt.tensor(hfName).path}: tensor '${hfName}' is not part of a ${cfg.arch} model`);
      }
      hfOf.set(name, hfName);
    }
    const tied = cfg.tiedEmbeddings || !hfOf.has('output.weight');
    const h = { ...cfg, tiedEmbeddings: tied };
    if (tied) hfOf.delete('output.weight');
    const layout = llamaTensorLayout(h);
    for (const t of layout) {
      const hfName = hfOf.get(t.name);
      if (!hfName)
        throw new InputError(`${hfDir}: tensor '${hfTensorName(t.name)}' is missing (llama.cpp's ${t.name})`);
      const info = ckpt.tensor(hfName);
      const ne = shapeToNe(info.shape);
      if (ne.join(',') !== t.ne.join(',')) {
        throw new InputError(
          `${info.path}: tensor '${hfName}' has shape [${info.shape}], but config.json implies [${[...t.ne].reverse()}]`,
        );
      }
    }
    const extra = [...hfOf.keys()].filter((n) => !layout.some((t) => t.name === n));
    if (extra.length > 0) {
      throw new InputError(`${hfDir}: tensor '${hfOf.get(extra[0])}' does not fit config.json (${cfg.layers} layers)`);
    }

    const metadata = archMetadata(h);
    metadata.set('general.name', kv.str(options.name ?? basename(resolve(hfDir))));
    metadata.set('general.file_type', kv.u32(OUTTYPE[outtype].ftype));
    if (outtype === 'q8_0') metadata.set('general.quantization_version', kv.u32(2));
    if (cfg.ropeScaling) {
      metadata.set(`${cfg.arch}.rope.scaling.type`, kv.str('linear'));
      metadata.set(`${cfg.arch}.rope.scaling.factor`, kv.f32(cfg.ropeScaling.factor));
    }
    for (const [k, v] of tokenizerMetadataFromHf(hfDir, cfg.vocabSize)) metadata.set(k, v);

    const totalBytes = layout.reduce((s, t) => s + ckpt.tensor(hfOf.get(t.name)!).nBytes, 0);
    // Small models convert in well under the ~2 s after which we show progress.
    const progress =
      totalBytes > 200e6 ? startProgress({ label: 'convert', total: totalBytes, unit: 'MB', scale: 1e6 }) : undefined;
    let done = 0;
    const tensors: TensorToWrite[] = layout.map((t) => {
      const type = storedType(OUTTYPE[outtype].type, t.ne);
      return {
        name: t.name,
        type,
        ne: t.ne,
        data: () => {
          const hfName = hfOf.get(t.name)!;
          let x = readSafetensorF32(ckpt, hfName);
          const heads = ropePermuteHeads(cfg.arch, t.name, cfg.heads, cfg.kvHeads);
          if (heads > 0) x = permuteRope(x, heads, t.ne.length > 1 ? t.ne[0] : 1, 'gguf');
          done += ckpt.tensor(hfName).nBytes;
          progress?.update(done, t.name);
          return type === GgmlType.F32 ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : quantize(type, x);
        },
      };
    });
    const bytes = await writeGguf(outPath, { metadata, tensors });
    progress?.stop();
    return { out: outPath, config: { ...cfg, tiedEmbeddings: tied }, outtype, tensors: tensors.length, bytes };
  } finally {
    ckpt.close();
  }
}

/** `convert(hfDir, out, { outtype })`: the library form of `meetara convert`. */
export const convert = convertHfToGguf;
