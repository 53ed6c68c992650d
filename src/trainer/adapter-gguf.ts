// LoRA adapters in llama.cpp's GGUF format (src/llama-adapter.cpp):
//   metadata  general.type = "adapter", adapter.type = "lora", adapter.lora.alpha (f32), general.architecture = base's
//   tensors   <base>.lora_a  ne [n_in, r]   (PEFT lora_A, r × n_in row-major)
//             <base>.lora_b  ne [r, n_out]  (PEFT lora_B, n_out × r row-major)
// Our variables hold A as [n_in, r] and B as [r, n_out] (the x·W layout), so each is transposed on the way out/in.

import * as tf from '@tensorflow/tfjs-core';
import { GgufFormatError } from '../errors.ts';
import { GgmlType, GgufValueType } from '../gguf/constants.ts';
import { blockTensorName, type LlamaArch, neToShape, parseBlockTensorName } from '../gguf/llama.ts';
import { type GgufMetadata, getFloat, getString, kv } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { type TensorToWrite, writeGguf } from '../gguf/writer.ts';
import type { ModelConfig } from '../model/config.ts';
import { readTensorF32 } from '../model/weights.ts';
import {
  LORA_TARGET_TENSOR,
  LORA_TARGETS,
  type LoraLayer,
  type LoraParams,
  type LoraSlot,
  type LoraTarget,
  projectionDims,
} from './lora.ts';

export interface WriteLoraAdapterOptions {
  /** The base model's architecture; llama.cpp refuses an adapter whose architecture differs. */
  readonly arch: LlamaArch;
  readonly name?: string;
}

const asBytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The adapter GGUF's metadata. */
export function loraAdapterMetadata(o: WriteLoraAdapterOptions, alpha: number): GgufMetadata {
  return new Map([
    ['general.architecture', kv.str(o.arch)],
    ['general.type', kv.str('adapter')],
    ['general.name', kv.str(o.name ?? 'meetara-lora')],
    ['adapter.type', kv.str('lora')],
    ['adapter.lora.alpha', kv.f32(alpha)],
  ]);
}

export type AdapterTensorInfo = Omit<TensorToWrite, 'data'>;

/** The adapter's two F32 tensors for one pair: `.lora_a` ne [n_in, r] and `.lora_b` ne [r, n_out]. */
export function loraAdapterTensorInfos(s: LoraSlot, rank: number): [AdapterTensorInfo, AdapterTensorInfo] {
  const base = blockTensorName(s.layer, LORA_TARGET_TENSOR[s.target]);
  return [
    { name: `${base}.lora_a`, type: GgmlType.F32, ne: [s.nIn, rank] },
    { name: `${base}.lora_b`, type: GgmlType.F32, ne: [rank, s.nOut] },
  ];
}

/** Writes LoRA parameters as a llama.cpp adapter GGUF (F32), atomically. Returns the file size. */
export async function writeLoraAdapter(path: string, lora: LoraParams, o: WriteLoraAdapterOptions): Promise<number> {
  const tensors: TensorToWrite[] = [];
  lora.layers.forEach((layer, i) => {
    for (const target of LORA_TARGETS) {
      const pair = layer[target];
      if (!pair) continue;
      const [nIn, r] = pair.a.shape;
      const nOut = pair.b.shape[1];
      // Transposing gives GGUF's row-major layout: A as [r, n_in] (ne [n_in, r]), B as [n_out, r] (ne [r, n_out]).
      const rowMajor = (t: tf.Tensor2D) => async () => {
        const tt = tf.transpose(t);
        try {
          return asBytes((await tt.data()) as Float32Array);
        } finally {
          tt.dispose();
        }
      };
      const [a, b] = loraAdapterTensorInfos({ layer: i, target, nIn, nOut }, r);
      tensors.push({ ...a, data: rowMajor(pair.a) });
      tensors.push({ ...b, data: rowMajor(pair.b) });
    }
  });
  return writeGguf(path, { metadata: loraAdapterMetadata(o, lora.alpha), tensors });
}

/** Reads an adapter GGUF (F32 tensors) back into trainable LoRA variables, checking it against the base config. */
export function readLoraAdapter(path: string, config: ModelConfig): LoraParams {
  const file = GgufFile.open(path);
  try {
    const md = file.metadata;
    const field = (key: string, want: string) => {
      const got = md.get(key)?.type === GgufValueType.STRING ? getString(md, key) : undefined;
      if (got !== want) throw new GgufFormatError(`${path}: ${key} is '${got ?? '(missing)'}', expected '${want}'`);
    };
    field('general.type', 'adapter');
    field('adapter.type', 'lora');
    field('general.architecture', config.arch);
    const alpha = md.has('adapter.lora.alpha') ? getFloat(md, 'adapter.lora.alpha') : 0;
    const kindToTarget = new Map(LORA_TARGETS.map((t) => [LORA_TARGET_TENSOR[t], t] as const));
    const layers: LoraLayer[] = Array.from({ length: config.layers }, () => ({}));
    const targets = new Set<LoraTarget>();
    let rank = 0;
    for (const info of file.tensors) {
      if (!info.name.endsWith('.lora_a')) continue;
      const base = info.name.slice(0, -'.lora_a'.length);
      const parsed = parseBlockTensorName(base);
      const target = parsed && kindToTarget.get(parsed.kind as never);
      if (!parsed || !target || parsed.layer >= config.layers) {
        throw new GgufFormatError(`${path}: tensor '${info.name}' does not adapt a supported projection`);
      }
      const [nIn, nOut] = projectionDims(config, target);
      const r = info.ne[1];
      const bName = `${base}.lora_b`;
      const bNe = file.has(bName) ? file.tensor(bName).ne : undefined;
      if (info.ne[0] !== nIn || !bNe || bNe[0] !== r || bNe[1] !== nOut) {
        throw new GgufFormatError(
          `${path}: '${base}' lora_a ne [${info.ne}] / lora_b ne [${bNe ?? 'missing'}] do not fit [${nIn}, ${nOut}]`,
        );
      }
      if (rank && r !== rank) throw new GgufFormatError(`${path}: '${info.name}' has rank ${r}, others ${rank}`);
      rank = r;
      // GGUF row-major [r, n_in] / [n_out, r] -> our [n_in, r] / [r, n_out]
      const load = (name: string, ne: readonly number[]) =>
        tf.tidy(() => {
          const rowMajor = tf.tensor2d(readTensorF32(file, name), neToShape(ne) as [number, number]);
          return tf.variable(tf.transpose(rowMajor), true) as tf.Variable<tf.Rank.R2>;
        });
      layers[parsed.layer][target] = { a: load(info.name, info.ne), b: load(bName, bNe) };
      targets.add(target);
    }
    if (!rank) throw new GgufFormatError(`${path}: no .lora_a tensors found`);
    return { rank, alpha, targets: LORA_TARGETS.filter((t) => targets.has(t)), layers };
  } finally {
    file.close();
  }
}
