// Model weights as f32, read lazily tensor by tensor, from GGUF (any type src/quant can dequantize) or from
// safetensors (F32, F16, BF16).

import { GgufFormatError } from '../errors.ts';
import { GGML_TYPES, GgmlType } from '../gguf/constants.ts';
import type { GgufFile } from '../gguf/reader.ts';
import { dequantize, hasCodec } from '../quant/codecs.ts';
import type { SafetensorsCheckpoint, SafetensorsDtype } from './safetensors.ts';

/** Reads one GGUF tensor as f32 (row-major, ne[0] fastest), dequantizing quantized types. */
export function readTensorF32(file: GgufFile, name: string): Float32Array {
  const t = file.tensor(name);
  if (!hasCodec(t.type)) {
    throw new GgufFormatError(`${file.path}: tensor '${name}' is ${GGML_TYPES[t.type].name}, which cannot be read yet`);
  }
  const bytes = file.readTensorBytes(name);
  if (t.type === GgmlType.F32) return new Float32Array(bytes.buffer, bytes.byteOffset, t.nElements);
  return dequantize(t.type, bytes, t.nElements);
}

const SAFETENSORS_GGML: Record<SafetensorsDtype, GgmlType> = {
  F32: GgmlType.F32,
  F16: GgmlType.F16,
  BF16: GgmlType.BF16,
};

/** Reads one safetensors tensor as f32 (row-major, PyTorch order). */
export function readSafetensorF32(ckpt: SafetensorsCheckpoint, name: string): Float32Array {
  const t = ckpt.tensor(name);
  const bytes = ckpt.readBytes(name);
  if (t.dtype === 'F32') return new Float32Array(bytes.buffer, bytes.byteOffset, t.nElements);
  return dequantize(SAFETENSORS_GGML[t.dtype], bytes, t.nElements);
}
