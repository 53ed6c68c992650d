// Q5_0: blocks of 32 as { d: f16, qh: u32, qs: u8[16] }, value = (q - 16)·d with d = max/-16. The low four
// bits are packed as in Q4_0; bit j of qh is bit 4 of q[j], and bit j+16 is bit 4 of q[j+16].

import { f32, truncToInt8 } from '../float32.ts';
import { getF16, getU32, putF16, putU32, QK } from './common.ts';

const BLOCK_BYTES = 2 + 4 + QK / 2;

export function quantizeQ5_0(x: Float32Array, y: Uint8Array): void {
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
    const d = f32(max / -16);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(y, yo, d);
    let qh = 0;
    for (let j = 0; j < QK / 2; j++) {
      const q0 = Math.min(31, truncToInt8(f32(f32(x[xo + j] * id) + 16.5))) & 0xff;
      const q1 = Math.min(31, truncToInt8(f32(f32(x[xo + QK / 2 + j] * id) + 16.5))) & 0xff;
      y[yo + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
    }
    putU32(y, yo + 2, qh);
  }
}

export function dequantizeQ5_0(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    const qh = getU32(y, yo + 2);
    for (let j = 0; j < QK / 2; j++) {
      const b = y[yo + 6 + j];
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      x[i * QK + j] = (((b & 0x0f) | h0) - 16) * d;
      x[i * QK + QK / 2 + j] = (((b >>> 4) | h1) - 16) * d;
    }
  }
}
