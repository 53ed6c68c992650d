// Model weights as f32, read lazily tensor by tensor.

import { GgufFormatError } from '../errors.ts';
import { GGML_TYPES, GgmlType } from '../gguf/constants.ts';
import type { GgufFile } from '../gguf/reader.ts';

/** Reads one tensor as f32 (row-major, ne[0] fastest). Only F32 for now; other types come with src/quant. */
export function readTensorF32(file: GgufFile, name: string): Float32Array {
  const t = file.tensor(name);
  if (t.type !== GgmlType.F32) {
    throw new GgufFormatError(`${file.path}: tensor '${name}' is ${GGML_TYPES[t.type].name}; only F32 can be read yet`);
  }
  const bytes = file.readTensorBytes(name);
  return new Float32Array(bytes.buffer, bytes.byteOffset, t.nElements);
}
