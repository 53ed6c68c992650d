// Q4_0: blocks of 32 as { d: f16, qs: u8[16] }, value = (q - 8)·d. The scale comes from the signed value of
// largest magnitude, so that value maps exactly to -8. Byte j holds q[j] (low nibble) and q[j+16] (high nibble).

import { f32, truncToInt8 } from '../float32.ts';
import { getF16, putF16, QK } from './common.ts';

const BLOCK_BYTES = 2 + QK / 2;

export function quantizeQ4_0(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const xo = i * QK;
    const yo = i * BLOCK_BYTES;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[xo + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f32(max / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(y, yo, d);
    for (let j = 0; j < QK / 2; j++) {
      const q0 = Math.min(15, truncToInt8(f32(f32(x[xo + j] * id) + 8.5))) & 0xff;
      const q1 = Math.min(15, truncToInt8(f32(f32(x[xo + QK / 2 + j] * id) + 8.5))) & 0xff;
      y[yo + 2 + j] = q0 | (q1 << 4);
    }
  }
}

export function dequantizeQ4_0(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    for (let j = 0; j < QK / 2; j++) {
      const b = y[yo + 2 + j];
      x[i * QK + j] = ((b & 0x0f) - 8) * d;
      x[i * QK + QK / 2 + j] = ((b >>> 4) - 8) * d;
    }
  }
}
