// Q4_1: blocks of 32 as { d: f16, m: f16, qs: u8[16] }, value = q·d + m, with m the block minimum and
// d = (max - min)/15. Nibbles are packed as in Q4_0.

import { f32, truncToInt8 } from '../float32.ts';
import { getF16, putF16, QK } from './common.ts';

const BLOCK_BYTES = 4 + QK / 2;
const FLT_MAX = 3.4028234663852886e38;

export function quantizeQ4_1(x: Float32Array, y: Uint8Array): void {
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
    const d = f32(f32(max - min) / 15);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(y, yo, d);
    putF16(y, yo + 2, min);
    for (let j = 0; j < QK / 2; j++) {
      const q0 = Math.min(15, truncToInt8(f32(f32(f32(x[xo + j] - min) * id) + 0.5))) & 0xff;
      const q1 = Math.min(15, truncToInt8(f32(f32(f32(x[xo + QK / 2 + j] - min) * id) + 0.5))) & 0xff;
      y[yo + 4 + j] = q0 | (q1 << 4);
    }
  }
}

export function dequantizeQ4_1(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    const m = getF16(y, yo + 2);
    for (let j = 0; j < QK / 2; j++) {
      const b = y[yo + 4 + j];
      x[i * QK + j] = f32((b & 0x0f) * d) + m;
      x[i * QK + QK / 2 + j] = f32((b >>> 4) * d) + m;
    }
  }
}
