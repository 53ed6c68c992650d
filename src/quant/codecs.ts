// One table from ggml type to its row converters: quantize f32 into the type's bytes and dequantize back.
// Rows are independent and the reference quantizers work block by block, so any run of whole blocks can be
// converted in one call; that is what lets quantizeFile split a tensor across workers. Quantizing goes through
// the native kernels (native.ts) when they are loaded and cover the type, and through TypeScript otherwise.

import { InputError } from '../errors.ts';
import { GGML_TYPES, GgmlType, tensorBytes } from '../gguf/constants.ts';
import { dequantizeQ2_K, quantizeQ2_K } from './blocks/q2_k.ts';
import { dequantizeQ3_K, quantizeQ3_K } from './blocks/q3_k.ts';
import { dequantizeQ4_0, quantizeQ4_0 } from './blocks/q4_0.ts';
import { dequantizeQ4_1, quantizeQ4_1 } from './blocks/q4_1.ts';
import { dequantizeQ4_K, quantizeQ4_K } from './blocks/q4_k.ts';
import { dequantizeQ5_0, quantizeQ5_0 } from './blocks/q5_0.ts';
import { dequantizeQ5_1, quantizeQ5_1 } from './blocks/q5_1.ts';
import { dequantizeQ5_K, quantizeQ5_K } from './blocks/q5_k.ts';
import { dequantizeQ6_K, quantizeQ6_K } from './blocks/q6_k.ts';
import { dequantizeQ8_0, quantizeQ8_0 } from './blocks/q8_0.ts';
import { bf16ToFp32Row, fp16ToFp32Row, fp32ToBf16Row, fp32ToFp16Row } from './float16.ts';
import { nativeKernels } from './native.ts';

export interface TypeCodec {
  /** f32 values (a whole number of blocks) -> the type's bytes. */
  readonly quantize: (x: Float32Array, y: Uint8Array) => void;
  /** The type's bytes -> f32 values. */
  readonly dequantize: (y: Uint8Array, x: Float32Array) => void;
}

const u16 = (b: Uint8Array) => new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
const f32View = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);

const CODECS: Partial<Record<GgmlType, TypeCodec>> = {
  [GgmlType.F32]: { quantize: (x, y) => f32View(y).set(x), dequantize: (y, x) => x.set(f32View(y)) },
  [GgmlType.F16]: { quantize: (x, y) => fp32ToFp16Row(x, u16(y)), dequantize: (y, x) => fp16ToFp32Row(u16(y), x) },
  [GgmlType.BF16]: { quantize: (x, y) => fp32ToBf16Row(x, u16(y)), dequantize: (y, x) => bf16ToFp32Row(u16(y), x) },
  [GgmlType.Q8_0]: { quantize: quantizeQ8_0, dequantize: dequantizeQ8_0 },
  [GgmlType.Q4_0]: { quantize: quantizeQ4_0, dequantize: dequantizeQ4_0 },
  [GgmlType.Q4_1]: { quantize: quantizeQ4_1, dequantize: dequantizeQ4_1 },
  [GgmlType.Q5_0]: { quantize: quantizeQ5_0, dequantize: dequantizeQ5_0 },
  [GgmlType.Q5_1]: { quantize: quantizeQ5_1, dequantize: dequantizeQ5_1 },
  [GgmlType.Q2_K]: { quantize: quantizeQ2_K, dequantize: dequantizeQ2_K },
  [GgmlType.Q3_K]: { quantize: quantizeQ3_K, dequantize: dequantizeQ3_K },
  [GgmlType.Q4_K]: { quantize: quantizeQ4_K, dequantize: dequantizeQ4_K },
  [GgmlType.Q5_K]: { quantize: quantizeQ5_K, dequantize: dequantizeQ5_K },
  [GgmlType.Q6_K]: { quantize: quantizeQ6_K, dequantize: dequantizeQ6_K },
};

/** The types we can write (and read back). */
export const CODEC_TYPES: readonly GgmlType[] = Object.keys(CODECS).map(Number);

export function hasCodec(type: GgmlType): boolean {
  return CODECS[type] !== undefined;
}

function codecOf(type: GgmlType): TypeCodec {
  const codec = CODECS[type];
  if (!codec)
    throw new InputError(
      `ggml type ${GGML_TYPES[type]?.name ?? type} cannot be converted (supported: ${CODEC_TYPES.map((t) => GGML_TYPES[t].name).join(', ')})`,
    );
  return codec;
}

function checkLength(type: GgmlType, n: number): void {
  const { name, blockSize } = GGML_TYPES[type];
  if (n % blockSize !== 0) {
    throw new InputError(`${n} values cannot be stored as ${name}: it needs a multiple of its block size ${blockSize}`);
  }
}

/**
 * Which quantize kernels to use: 'auto' takes the native ones where loaded, 'typescript' and 'native' force one
 * (the tests run every case through both).
 */
export type QuantKernels = 'auto' | 'native' | 'typescript';

/** Quantizes `x` into `y`, which must hold exactly the type's bytes for x.length values. */
export function quantizeInto(type: GgmlType, x: Float32Array, y: Uint8Array, kernels: QuantKernels = 'auto'): void {
  const codec = codecOf(type);
  checkLength(type, x.length);
  const need = tensorBytes(type, x.length);
  if (y.byteLength !== need)
    throw new RangeError(`output holds ${y.byteLength} bytes; ${GGML_TYPES[type].name} needs ${need}`);
  const native = kernels !== 'typescript' && nativeKernels?.types.has(type) ? nativeKernels : undefined;
  if (kernels === 'native' && !native)
    throw new Error(`no native ${GGML_TYPES[type].name} kernel is loaded (npm run install builds it)`);
  if (native) native.quantize(type, x, y);
  else codec.quantize(x, y);
}

/** Dequantizes `y` into `x`; x.length says how many values y holds. */
export function dequantizeInto(type: GgmlType, y: Uint8Array, x: Float32Array): void {
  const codec = codecOf(type);
  checkLength(type, x.length);
  const need = tensorBytes(type, x.length);
  if (y.byteLength !== need)
    throw new RangeError(`input holds ${y.byteLength} bytes; ${GGML_TYPES[type].name} needs ${need}`);
  codec.dequantize(y, x);
}

/** Quantizes f32 values to a new byte array of the given type. */
export function quantize(type: GgmlType, x: Float32Array, kernels: QuantKernels = 'auto'): Uint8Array {
  checkLength(type, x.length);
  const y = new Uint8Array(tensorBytes(type, x.length));
  quantizeInto(type, x, y, kernels);
  return y;
}

/** Dequantizes `n` values of the given type to a new Float32Array. */
export function dequantize(type: GgmlType, y: Uint8Array, n: number): Float32Array {
  const x = new Float32Array(n);
  dequantizeInto(type, y, x);
  return x;
}
