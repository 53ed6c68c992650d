// Q5_1: blocks of 32 as { d: f16, m: f16, qh: u32, qs: u8[16] }, value = q·d + m with d = (max - min)/31.
// High bits as in Q5_0. Unlike Q4_1 there is no clamp: the C code casts straight to uint8_t.

import { f32, truncToInt32 } from '../float32.ts';
import { getF16, getU32, putF16, putU32, QK } from './common.ts';

const BLOCK_BYTES = 4 + 4 + QK / 2;
const FLT_MAX = 3.4028234663852886e38;

export function quantizeQ5_1(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const xo = i * QK;
    const yo = i * BLOCK_BYTES;
    let min = FLT_MAX;
    let max = -FLT_MAX;
    for (let j = 0; j < QK; j++) {
      const v = x[xo + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f32(f32(max - min) / 31);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(y, yo, d);
    putF16(y, yo + 2, min);
    let qh = 0;
    for (let j = 0; j < QK / 2; j++) {
      const q0 = truncToInt32(f32(f32(f32(x[xo + j] - min) * id) + 0.5)) & 0xff;
      const q1 = truncToInt32(f32(f32(f32(x[xo + QK / 2 + j] - min) * id) + 0.5)) & 0xff;
      y[yo + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
    }
    putU32(y, yo + 4, qh);
  }
}

export function dequantizeQ5_1(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    const m = getF16(y, yo + 2);
    const qh = getU32(y, yo + 4);
    for (let j = 0; j < QK / 2; j++) {
      const b = y[yo + 8 + j];
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      x[i * QK + j] = f32(((b & 0x0f) | h0) * d) + m;
      x[i * QK + QK / 2 + j] = f32(((b >>> 4) | h1) * d) + m;
    }
  }
}
