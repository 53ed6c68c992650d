// Shared pieces of the block layouts (ggml-common.h): block sizes and little-endian f16 fields.

import { fp16ToFp32, fp32ToFp16 } from '../float16.ts';

/** Elements per block of the legacy formats (Q4_0 ... Q8_0). */
export const QK = 32;
/** Elements per super-block of the K-quants. */
export const QK_K = 256;

/** Stores `value` as an f16 at byte `at` (ggml's GGML_FP32_TO_FP16). */
export function putF16(y: Uint8Array, at: number, value: number): void {
  const h = fp32ToFp16(value);
  y[at] = h & 0xff;
  y[at + 1] = h >>> 8;
}

/** Reads the f16 at byte `at` as a float32 value (ggml's GGML_FP16_TO_FP32). */
export function getF16(y: Uint8Array, at: number): number {
  return fp16ToFp32(y[at] | (y[at + 1] << 8));
}

/** Little-endian u32 fields (the qh bit masks of Q5_0 and Q5_1). */
export function putU32(y: Uint8Array, at: number, v: number): void {
  y[at] = v & 0xff;
  y[at + 1] = (v >>> 8) & 0xff;
  y[at + 2] = (v >>> 16) & 0xff;
  y[at + 3] = v >>> 24;
}

export function getU32(y: Uint8Array, at: number): number {
  return (y[at] | (y[at + 1] << 8) | (y[at + 2] << 16) | (y[at + 3] << 24)) >>> 0;
}
