// The merged universal model: every domain's LoRA delta merged into one set of weights (merge.ts: linear or TIES),
// added to the base, written as one F16 GGUF that the quant engine then turns into full and lite variants.
// Deltas are computed tensor by tensor from the adapters' small factors, so memory holds one tensor's deltas at a
// time, whatever the number of domains.

import { GgufFormatError } from '../errors.ts';
import { GgufValueType } from '../gguf/constants.ts';
import { getFloat } from '../gguf/metadata.ts';
import { GgufFile } from '../gguf/reader.ts';
import { readTensorF32 } from '../model/weights.ts';
import { type DeltaOf, writeMerged } from '../trainer/export.ts';
import { loraScale } from '../trainer/lora.ts';
import { linearMerge, type MergeMethod, tiesMerge } from './merge.ts';

export interface MergedModelOptions {
  readonly method: MergeMethod;
  /** TIES: the share of each delta kept (default 0.2). */
  readonly density?: number;
  /** llama-quantize type of the written file (default F16). */
  readonly type?: string;
}

/**
 * The deltas of a llama.cpp LoRA adapter GGUF, each computed when asked for: s·B·A, with lora_a stored row-major
 * [r, n_in] and lora_b [n_out, r], so the delta is row-major [n_out, n_in] like the weight it adds to.
 */
export function adapterDeltaOf(adapter: GgufFile): DeltaOf {
  const md = adapter.metadata;
  const type = md.get('general.type');
  if (type?.type !== GgufValueType.STRING || type.value !== 'adapter') {
    throw new GgufFormatError(`${adapter.path}: general.type is not 'adapter', so it is not a LoRA adapter`);
  }
  const alpha = md.has('adapter.lora.alpha') ? getFloat(md, 'adapter.lora.alpha') : 0;
  return (name) => {
    // llama.cpp names an adapter's tensors after the weight they adapt: blk.0.attn_q.weight.lora_a.
    if (!adapter.has(`${name}.lora_a`)) return undefined;
    const [nIn, r] = adapter.tensor(`${name}.lora_a`).ne as [number, number];
    const nOut = adapter.tensor(`${name}.lora_b`).ne[1] as number;
    const a = readTensorF32(adapter, `${name}.lora_a`);
    const b = readTensorF32(adapter, `${name}.lora_b`);
    const s = loraScale({ rank: r, alpha });
    const delta = new Float32Array(nOut * nIn);
    for (let o = 0; o < nOut; o++) {
      const row = delta.subarray(o * nIn, (o + 1) * nIn);
      for (let k = 0; k < r; k++) {
        const w = s * (b[o * r + k] as number);
        const ak = a.subarray(k * nIn, (k + 1) * nIn);
        for (let i = 0; i < nIn; i++) row[i] = (row[i] as number) + w * (ak[i] as number);
      }
    }
    return delta;
  };
}

/** Writes the base with the merged deltas of `adapters` (llama.cpp LoRA GGUF files) added. */
export async function writeMergedModel(
  base: string,
  adapters: readonly string[],
  out: string,
  o: MergedModelOptions,
): Promise<void> {
  const files = adapters.map((a) => GgufFile.open(a));
  try {
    const deltaOfs = files.map(adapterDeltaOf);
    const merged: DeltaOf = (name) => {
      const deltas = deltaOfs.map((d) => d(name));
      const present = deltas.find((d) => d !== undefined);
      if (!present) return undefined;
      // A domain that does not adapt this tensor contributes a zero delta.
      const all = deltas.map((d) => d ?? new Float32Array(present.length));
      return o.method === 'ties' ? tiesMerge(all, o.density) : linearMerge(all);
    };
    await writeMerged(base, out, { delta: merged }, o.type ?? 'F16');
  } finally {
    for (const f of files) f.close();
  }
}
