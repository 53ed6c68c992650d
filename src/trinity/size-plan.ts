// Output sizes before any training: the plan's "dynamic sizing", done for real. Every file a domain's train run
// leaves is laid out here exactly as its writer lays it out, from the base's metadata and tensor shapes alone:
//   adapter.gguf                 adapter-gguf.ts's metadata and F32 lora_a/lora_b tensors, through the GGUF writer
//   adapter_model.safetensors    peft.ts's tensor entries, through the safetensors writer's header layout
//   adapter_config.json          peft.ts's text
//   merged (full) model          export.ts's F32 layout, then quantizeFile's plan (metadata, order, per-tensor types)
//   lite model                   quantizeFile's plan again, applied to the merged model's layout
// Nothing here restates a format rule: the helpers are the ones the writers call, so a prediction cannot drift from
// the files. Sizes depend only on shapes and types, never on the trained values, so they are exact to the byte.

import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { InputError } from '../errors.ts';
import { fileTypeName, type GgmlType } from '../gguf/constants.ts';
import { type GgufMetadata, getString } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { serializeHeader, type TensorToWrite } from '../gguf/writer.ts';
import { configFromGguf, type ModelConfig } from '../model/config.ts';
import { planSafetensors } from '../model/safetensors.ts';
import { parseQuantType } from '../quant/mixes.ts';
import { planQuantizedFile } from '../quant/quantize-file.ts';
import { loraAdapterMetadata, loraAdapterTensorInfos } from '../trainer/adapter-gguf.ts';
import {
  adapterGgufOptions,
  MERGED_FILE,
  mergedF32Layout,
  mergeQuantizes,
  peftExportOptions,
} from '../trainer/export.ts';
import { LORA_TARGETS, type LoraTarget, loraSlots } from '../trainer/lora.ts';
import { PEFT_SAFETENSORS_METADATA, PEFT_WEIGHTS_FILE, peftConfigText, peftTensorInfos } from '../trainer/peft.ts';

export interface SizePlanOptions {
  /** The base model (GGUF) the run fine-tunes. */
  readonly base: string;
  readonly rank: number;
  /** Adapted projections; defaults to all of them, as finetune does. */
  readonly targets?: readonly LoraTarget[];
  /** llama-quantize type of the lite model (Q4_K_M, Q8_0, ...), quantized from the merged model. */
  readonly liteType: string;
  /** llama-quantize type of the merged (full) model; F16 by default, as finetune does. */
  readonly mergedType?: string;
  /** LoRA alpha; only adapter_config.json's size depends on it. Defaults to finetune's 16. */
  readonly alpha?: number;
  /** Whether the lite quantization may requantize already-quantized tensors (quantizeFile's allowRequantize). */
  readonly allowRequantize?: boolean;
}

/** Predicted file sizes in bytes. */
export interface OutputSizes {
  /** adapter.gguf: the llama.cpp LoRA adapter. */
  readonly adapterGguf: number;
  /** adapter_model.safetensors: the PEFT weights. */
  readonly peftSafetensors: number;
  /** adapter_config.json: the PEFT config. */
  readonly peftConfig: number;
  /** The merged model at mergedType (merged.gguf, shipped as the "full" model). */
  readonly full: number;
  /** The merged model quantized to liteType. */
  readonly lite: number;
}

type TensorInfo = Omit<TensorToWrite, 'data'>;

const NO_DATA = new Uint8Array(0);

/** The size writeGguf gives a file: header and tensor infos padded to the alignment, then each tensor padded. */
function ggufSize(metadata: GgufMetadata, tensors: readonly TensorInfo[]): number {
  const {
    header,
    tensors: planned,
    alignment,
  } = serializeHeader({
    metadata,
    tensors: tensors.map((t) => ({ ...t, data: NO_DATA })),
  });
  return planned.reduce((s, t) => s + Math.ceil(t.nBytes / alignment) * alignment, header.byteLength);
}

/** The name finetune gives the base (general.name, else the file name), which the adapters carry. */
function baseModelName(md: GgufMetadata, base: string): string {
  return md.has('general.name') ? getString(md, 'general.name') : basename(base, '.gguf');
}

function checkRank(rank: number): void {
  if (!Number.isInteger(rank) || rank < 1) throw new InputError(`--rank must be a positive integer, got ${rank}`);
}

function checkTargets(targets: readonly LoraTarget[]): void {
  const unknown = targets.find((t) => !(LORA_TARGETS as readonly string[]).includes(t));
  if (unknown !== undefined) {
    throw new InputError(`--targets: unknown target '${unknown}' (choose from ${LORA_TARGETS.join(',')})`);
  }
  if (targets.length === 0) throw new InputError(`--targets is empty (choose from ${LORA_TARGETS.join(',')})`);
}

/** Bytes of adapter_config.json for a LoRA of this rank, alpha and targets on a base called `baseName`. */
export function predictPeftConfigBytes(
  config: ModelConfig,
  o: { readonly rank: number; readonly alpha: number; readonly targets: readonly LoraTarget[] },
  baseName: string,
): number {
  return Buffer.byteLength(peftConfigText(peftExportOptions(config, o, baseName)));
}

/** Predicts every output size of a LoRA train run on `base`, without training. */
export function predictOutputSizes(o: SizePlanOptions): OutputSizes {
  checkRank(o.rank);
  const targets = o.targets ? LORA_TARGETS.filter((t) => o.targets?.includes(t)) : [...LORA_TARGETS];
  checkTargets(o.targets ?? targets);
  const alpha = o.alpha ?? 16;
  let mergedType: string;
  try {
    mergedType = fileTypeName(parseQuantType(o.mergedType ?? 'F16'));
  } catch (err) {
    throw new InputError(`--merged-type: ${(err as Error).message}`);
  }
  const liteFtype = parseQuantType(o.liteType);
  if (!existsSync(o.base)) throw new InputError(`--base '${o.base}' does not exist`);

  const file = GgufFile.open(o.base);
  try {
    const config = configFromGguf(
      file.metadata,
      file.tensors.map((t) => t.name),
      o.base,
    );
    const baseName = baseModelName(file.metadata, o.base);
    const slots = loraSlots(config, targets);

    const adapterGguf = ggufSize(
      loraAdapterMetadata(adapterGgufOptions(config, baseName), alpha),
      slots.flatMap((s) => loraAdapterTensorInfos(s, o.rank)),
    );
    const peftSafetensors = planSafetensors(
      PEFT_WEIGHTS_FILE,
      slots.flatMap((s) => peftTensorInfos(s, o.rank)),
      { ...PEFT_SAFETENSORS_METADATA },
    ).fileSize;
    const peftConfig = predictPeftConfigBytes(config, { rank: o.rank, alpha, targets }, baseName);

    // merged: the F32 layout, quantized to mergedType unless that is F32 itself (writeMerged's two paths).
    const f32 = mergedF32Layout(file);
    let merged: { metadata: GgufMetadata; tensors: TensorInfo[] } = f32;
    if (mergeQuantizes(mergedType)) {
      const plan = planQuantizedFile(f32.metadata, f32.tensors, parseQuantType(mergedType), `${o.base} (merged)`);
      merged = { metadata: plan.metadata, tensors: retyped(plan.tensors, plan.targets) };
    }
    const full = ggufSize(merged.metadata, merged.tensors);

    const litePlan = planQuantizedFile(merged.metadata, merged.tensors, liteFtype, MERGED_FILE, o.allowRequantize);
    const lite = ggufSize(litePlan.metadata, retyped(litePlan.tensors, litePlan.targets));

    return { adapterGguf, peftSafetensors, peftConfig, full, lite };
  } finally {
    file.close();
  }
}

const retyped = (tensors: readonly TensorInfo[], types: readonly GgmlType[]): TensorInfo[] =>
  tensors.map((t, i) => ({ name: t.name, ne: t.ne, type: types[i] }));

/** The exact size of what quantizeFile would write for `input` at `type` (a llama-quantize type name). */
export function quantizedFileBytes(input: string, type: string): number {
  const file = GgufFile.open(input);
  try {
    const plan = planQuantizedFile(file.metadata, file.tensors, parseQuantType(type), input);
    return ggufSize(plan.metadata, retyped(plan.tensors, plan.targets));
  } finally {
    file.close();
  }
}
