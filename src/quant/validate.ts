// ggml_validate_row_data for the types we write: llama.cpp refuses to write a tensor whose f16 scales (or
// whose F16/BF16/F32 values) came out as infinity or NaN, which happens when weights exceed the f16 range.

import { GGML_TYPES, GgmlType } from '../gguf/constants.ts';

/** Byte offsets of the f16 scale fields inside one block of each block type. */
const F16_FIELDS: Partial<Record<GgmlType, readonly number[]>> = {
  [GgmlType.Q4_0]: [0],
  [GgmlType.Q4_1]: [0, 2],
  [GgmlType.Q5_0]: [0],
  [GgmlType.Q5_1]: [0, 2],
  [GgmlType.Q8_0]: [0],
  [GgmlType.Q2_K]: [80, 82],
  [GgmlType.Q3_K]: [108],
  [GgmlType.Q4_K]: [0, 2],
  [GgmlType.Q5_K]: [0, 2],
  [GgmlType.Q6_K]: [208],
};

/** Returns the index of the first non-finite value or scale (in blocks or elements), or -1 if all are finite. */
export function findNonFinite(type: GgmlType, bytes: Uint8Array): number {
  const at = (i: number) => bytes[i] | (bytes[i + 1] << 8);
  if (type === GgmlType.F16) {
    for (let i = 0; i + 1 < bytes.length; i += 2) if ((at(i) & 0x7c00) === 0x7c00) return i / 2;
    return -1;
  }
  if (type === GgmlType.BF16) {
    for (let i = 0; i + 1 < bytes.length; i += 2) if ((at(i) & 0x7f80) === 0x7f80) return i / 2;
    return -1;
  }
  if (type === GgmlType.F32) {
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i])) return i;
    return -1;
  }
  const fields = F16_FIELDS[type];
  if (!fields) return -1;
  const size = GGML_TYPES[type].typeSize;
  for (let b = 0, o = 0; o < bytes.length; b++, o += size) {
    for (const f of fields) if ((at(o + f) & 0x7c00) === 0x7c00) return b;
  }
  return -1;
}
