// What a training run leaves behind:
//   adapter.gguf                   llama.cpp's LoRA format (adapter-gguf.ts), for `--lora` in llama.cpp/Ollama
//   adapter_model.safetensors      HF PEFT layout, with adapter_config.json (peft.ts)
//   merged.gguf                    the base with s·B·A added into each adapted weight (or, with --full, the
//                                  trained weights), F16 by default or any llama-quantize type, carrying the base's
//                                  metadata and its chat template
// The merged model is first written as F32 beside the target, then converted by src/quant's quantizeFile, so it
// gets exactly llama-quantize's per-tensor type rules.

import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { GgmlType, LlamaFileType } from '../gguf/constants.ts';
import { blockTensorName } from '../gguf/llama.ts';
import { type GgufMetadata, kv } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { type TensorToWrite, writeGguf } from '../gguf/writer.ts';
import { CHATML_TEMPLATE } from '../model/chat-template.ts';
import type { ModelConfig } from '../model/config.ts';
import { readTensorF32 } from '../model/weights.ts';
import { quantizeFile } from '../quant/quantize-file.ts';
import { type WriteLoraAdapterOptions, writeLoraAdapter } from './adapter-gguf.ts';
import { LORA_TARGET_TENSOR, LORA_TARGETS, type LoraPair, type LoraParams, loraScale } from './lora.ts';
import { type LoraMatrices, type PeftExportOptions, writePeftAdapter } from './peft.ts';
import { namedWeights, type TfModel } from './tf-model.ts';

export const ADAPTER_FILE = 'adapter.gguf';
export const MERGED_FILE = 'merged.gguf';

const asBytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function transposed(t: tf.Tensor2D): Float32Array {
  // Not returned through tf.tidy: tidy walks a returned typed array element by element looking for tensors.
  const tt = tf.transpose(t);
  try {
    return (tt.dataSync() as Float32Array).slice();
  } finally {
    tt.dispose();
  }
}

/** The LoRA factors in PEFT's row-major layout: A [r, n_in], B [n_out, r] (our variables are their transposes). */
export function loraMatrices(lora: LoraParams): LoraMatrices[] {
  return lora.layers.flatMap((layer, i) =>
    LORA_TARGETS.flatMap((target) => {
      const pair = layer[target];
      if (!pair) return [];
      const [nIn] = pair.a.shape;
      const nOut = pair.b.shape[1];
      return [{ layer: i, target, a: transposed(pair.a), b: transposed(pair.b), nIn, nOut }];
    }),
  );
}

/** adapter.gguf's architecture and name for a base called `baseName`. */
export const adapterGgufOptions = (config: ModelConfig, baseName: string): WriteLoraAdapterOptions => ({
  arch: config.arch,
  name: `${baseName}-lora`,
});

/** The PEFT export's settings for a LoRA on a base called `baseName`. */
export const peftExportOptions = (
  config: ModelConfig,
  lora: Pick<LoraParams, 'rank' | 'alpha' | 'targets'>,
  baseName: string,
): PeftExportOptions => ({ config, rank: lora.rank, alpha: lora.alpha, targets: lora.targets, baseModel: baseName });

export async function writeAdapters(
  dir: string,
  lora: LoraParams,
  config: ModelConfig,
  baseName: string,
): Promise<void> {
  await writeLoraAdapter(join(dir, ADAPTER_FILE), lora, adapterGgufOptions(config, baseName));
  await writePeftAdapter(dir, loraMatrices(lora), peftExportOptions(config, lora, baseName));
}

/** A weight delta by GGUF tensor name (row-major [n_out, n_in]), or undefined for a tensor left as it is. */
export type DeltaOf = (tensorName: string) => Float32Array | undefined;

/** The deltas s·B·A of a LoRA, each computed when asked for, so only one is in memory at a time. */
export function loraDeltaOf(lora: LoraParams): DeltaOf {
  const s = loraScale(lora);
  const pairs = new Map<string, LoraPair>();
  lora.layers.forEach((layer, i) => {
    for (const target of LORA_TARGETS) {
      const pair = layer[target];
      if (pair) pairs.set(blockTensorName(i, LORA_TARGET_TENSOR[target]), pair);
    }
  });
  return (name) => {
    const pair = pairs.get(name);
    if (!pair) return undefined;
    // Our layout is x·W with A [n_in, r], B [r, n_out]: (A·B)ᵀ is the [n_out, n_in] delta in GGUF's row order.
    const delta = tf.tidy(() => tf.mul(tf.transpose(tf.matMul(pair.a, pair.b)), s));
    try {
      return (delta.dataSync() as Float32Array).slice();
    } finally {
      delta.dispose();
    }
  };
}

export interface MergeSource {
  /** LoRA to fold in. */
  readonly lora?: LoraParams;
  /** Any per-tensor deltas to add instead (the universal merged model's). */
  readonly delta?: DeltaOf;
  /** With --full: the trained model whose weights replace the base's. */
  readonly trained?: TfModel;
}

/** Whether writeMerged writes `type` by quantizing its F32 file (every type but F32, which it writes directly). */
export const mergeQuantizes = (type: string): boolean => type.toUpperCase() !== 'F32';

/**
 * The F32 file writeMerged writes first (the output itself for F32): the base's tensors in its order, all F32, and
 * its metadata with general.file_type ALL_F32 and a chat template added when it has none.
 */
export function mergedF32Layout(base: Pick<GgufFile, 'metadata' | 'tensors'>): {
  metadata: GgufMetadata;
  tensors: Omit<TensorToWrite, 'data'>[];
} {
  const metadata = new Map(base.metadata);
  metadata.set('general.file_type', kv.u32(LlamaFileType.ALL_F32));
  if (!metadata.has('tokenizer.chat_template')) metadata.set('tokenizer.chat_template', kv.str(CHATML_TEMPLATE));
  return { metadata, tensors: base.tensors.map((t) => ({ name: t.name, type: GgmlType.F32, ne: t.ne })) };
}

/**
 * Writes the merged model. `type` is a llama-quantize type name (F16, Q8_0, Q4_K_M, ...); tensors llama-quantize
 * keeps in F32 (norms, biases) stay F32.
 */
export async function writeMerged(base: string, out: string, src: MergeSource, type = 'F16'): Promise<void> {
  const file = GgufFile.open(base);
  const deltaOf: DeltaOf = src.delta ?? (src.lora ? loraDeltaOf(src.lora) : () => undefined);
  const trained = new Map((src.trained ? namedWeights(src.trained) : []).map((w) => [w.name, w] as const));
  const f32Path = mergeQuantizes(type) ? join(dirname(out), `.${basename(out)}.f32.tmp`) : out;
  try {
    const layout = mergedF32Layout(file);
    await writeGguf(f32Path, {
      metadata: layout.metadata,
      tensors: layout.tensors.map((t) => ({
        ...t,
        data: () => {
          const w = trained.get(t.name);
          if (w) {
            const values = w.transposed
              ? transposed(w.tensor as tf.Tensor2D)
              : (w.tensor.dataSync() as Float32Array).slice();
            return asBytes(values);
          }
          const values = readTensorF32(file, t.name).slice();
          const d = deltaOf(t.name);
          if (d) for (let i = 0; i < values.length; i++) values[i] += d[i];
          return asBytes(values);
        },
      })),
    });
    if (f32Path !== out) await quantizeFile(f32Path, out, { type, progress: false, threads: 1 });
  } finally {
    file.close();
    if (f32Path !== out) await rm(f32Path, { force: true });
  }
}
