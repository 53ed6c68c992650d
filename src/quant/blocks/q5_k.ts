// Q5_K: super-blocks of 256 as { d: f16, dmin: f16, scales: u8[12], qh: u8[32], qs: u8[128] }. Like Q4_K with
// q in 0..31: four low bits in qs, the fifth in qh (two bits per 64 values).

import { f32 } from '../float32.ts';
import { getF16, QK_K } from './common.ts';
import { getScaleMinK4 } from './k-quants.ts';
import { fitScaleMinBlock } from './q4_k.ts';

const BLOCK_BYTES = 176;
const DMIN = 2;
const SCALES = 4;
const QH = 16;
const QS = 48;

const L = new Uint8Array(QK_K);

export function quantizeQ5_K(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK_K;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    y.fill(0, yo + SCALES, yo + SCALES + 12);
    fitScaleMinBlock(x, i * QK_K, y, yo, 31, -0.5, 15, L);
    y.fill(0, yo + QH, yo + QH + QK_K / 8);
    let m1 = 1;
    let m2 = 2;
    for (let n = 0; n < QK_K; n += 64) {
      const ql = yo + QS + n / 2;
      for (let j = 0; j < 32; j++) {
        let l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          y[yo + QH + j] |= m1;
        }
        let l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          y[yo + QH + j] |= m2;
        }
        y[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
    }
  }
}

export function dequantizeQ5_K(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK_K;
  let o = 0;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    const min = getF16(y, yo + DMIN);
    let u1 = 1;
    let u2 = 2;
    for (let j = 0, is = 0; j < QK_K; j += 64, is += 2) {
      const ql = yo + QS + j / 2;
      const sm1 = getScaleMinK4(y, yo + SCALES, is);
      const sm2 = getScaleMinK4(y, yo + SCALES, is + 1);
      const d1 = f32(d * (sm1 & 0xff));
      const m1 = f32(min * (sm1 >>> 8));
      const d2 = f32(d * (sm2 & 0xff));
      const m2 = f32(min * (sm2 >>> 8));
      for (let l = 0; l < 32; l++) x[o++] = f32(d1 * ((y[ql + l] & 0xf) + (y[yo + QH + l] & u1 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) x[o++] = f32(d2 * ((y[ql + l] >>> 4) + (y[yo + QH + l] & u2 ? 16 : 0))) - m2;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}
