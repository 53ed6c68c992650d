// Q6_K: super-blocks of 256 as { ql: u8[128], qh: u8[64], scales: i8[16], d: f16 }. Sixteen groups of 16 with
// int8 scales; value = d·sc·(q - 32) with q in 0..63: four low bits in ql, two high bits in qh.

import { f32, GROUP_MAX_EPS, nearestInt } from '../float32.ts';
import { getF16, putF16, QK_K } from './common.ts';
import { clamp, makeQxQuants } from './k-quants.ts';

const BLOCK_BYTES = 210;
const QH = 128;
const SCALES = 192;
const D = 208;

const L = new Uint8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

export function quantizeQ6_K(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK_K;
  for (let i = 0; i < nb; i++) {
    const xo = i * QK_K;
    const yo = i * BLOCK_BYTES;
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < QK_K / 16; ib++) {
      const scale = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
      scales[ib] = scale;
      if (Math.abs(scale) > maxAbsScale) {
        maxAbsScale = Math.abs(scale);
        maxScale = scale;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      y.fill(0, yo, yo + BLOCK_BYTES);
      continue;
    }

    const iscale = f32(-128 / maxScale);
    putF16(y, yo + D, f32(1 / iscale));
    for (let ib = 0; ib < QK_K / 16; ib++) y[yo + SCALES + ib] = Math.min(127, nearestInt(f32(iscale * scales[ib])));

    const dAll = getF16(y, yo + D);
    for (let j = 0; j < QK_K / 16; j++) {
      const d = f32(dAll * ((y[yo + SCALES + j] << 24) >> 24));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = clamp(nearestInt(f32(x[xo + 16 * j + ii] / d)), -32, 31) + 32;
      }
    }

    for (let j = 0; j < QK_K; j += 128) {
      const ql = yo + j / 2;
      const qh = yo + QH + j / 4;
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l] & 0xf;
        const q2 = L[j + l + 32] & 0xf;
        const q3 = L[j + l + 64] & 0xf;
        const q4 = L[j + l + 96] & 0xf;
        y[ql + l] = q1 | (q3 << 4);
        y[ql + l + 32] = q2 | (q4 << 4);
        y[qh + l] =
          (L[j + l] >>> 4) | ((L[j + l + 32] >>> 4) << 2) | ((L[j + l + 64] >>> 4) << 4) | ((L[j + l + 96] >>> 4) << 6);
      }
    }
  }
}

export function dequantizeQ6_K(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK_K;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo + D);
    for (let n = 0; n < QK_K; n += 128) {
      const ql = yo + n / 2;
      const qh = yo + QH + n / 4;
      const sc = yo + SCALES + n / 16;
      const o = i * QK_K + n;
      for (let l = 0; l < 32; l++) {
        const is = l >>> 4;
        const h = y[qh + l];
        const q1 = ((y[ql + l] & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((y[ql + l + 32] & 0xf) | (((h >>> 2) & 3) << 4)) - 32;
        const q3 = ((y[ql + l] >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
        const q4 = ((y[ql + l + 32] >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
        x[o + l] = f32(d * int8(y[sc + is])) * q1;
        x[o + l + 32] = f32(d * int8(y[sc + is + 2])) * q2;
        x[o + l + 64] = f32(d * int8(y[sc + is + 4])) * q3;
        x[o + l + 96] = f32(d * int8(y[sc + is + 6])) * q4;
      }
    }
  }
}

const int8 = (b: number) => (b << 24) >> 24;
