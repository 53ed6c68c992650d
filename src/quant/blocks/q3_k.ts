// Q3_K: super-blocks of 256 as { hmask: u8[32], qs: u8[64], scales: u8[12], d: f16 }. Sixteen groups of 16
// with signed 6-bit scales; value = d·(sc - 32)·(q - 4) with q in 0..7: two low bits in qs, the third in hmask.

import { f32, nearestInt } from '../float32.ts';
import { getF16, putF16, QK_K } from './common.ts';
import { clamp, makeQ3Quants } from './k-quants.ts';

const BLOCK_BYTES = 110;
const QS = 32;
const SCALES = 96;
const D = 108;

const L = new Int8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

/** The signed 6-bit scale of group j (low nibbles in bytes 0-7, high bit pairs in bytes 8-11). */
function groupScale(y: Uint8Array, at: number, j: number): number {
  const low = j < 8 ? y[at + j] & 0xf : y[at + j - 8] >>> 4;
  const high = (y[at + 8 + (j % 4)] >>> (2 * (j >>> 2))) & 3;
  return (low | (high << 4)) - 32;
}

export function quantizeQ3_K(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK_K;
  for (let i = 0; i < nb; i++) {
    const xo = i * QK_K;
    const yo = i * BLOCK_BYTES;
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < QK_K / 16; j++) {
      scales[j] = makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j);
      const scale = Math.abs(scales[j]);
      if (scale > amax) {
        amax = scale;
        maxScale = scales[j];
      }
    }

    y.fill(0, yo + SCALES, yo + SCALES + 12);
    if (maxScale !== 0) {
      const iscale = f32(-32 / maxScale);
      for (let j = 0; j < QK_K / 16; j++) {
        const l8 = (nearestInt(f32(iscale * scales[j])) << 24) >> 24; // stored into an int8_t
        const l = clamp(l8, -32, 31) + 32;
        if (j < 8) y[yo + SCALES + j] = l & 0xf;
        else y[yo + SCALES + j - 8] |= (l & 0xf) << 4;
        y[yo + SCALES + 8 + (j % 4)] |= (l >>> 4) << (2 * (j >>> 2));
      }
      putF16(y, yo + D, f32(1 / iscale));
    } else {
      putF16(y, yo + D, 0);
    }

    // Requantize against the rounded scales.
    const dAll = getF16(y, yo + D);
    for (let j = 0; j < QK_K / 16; j++) {
      const d = f32(dAll * groupScale(y, yo + SCALES, j));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = clamp(nearestInt(f32(x[xo + 16 * j + ii] / d)), -4, 3) + 4;
      }
    }

    // The high bit of value j goes to hmask[j % 32], bit j / 32.
    y.fill(0, yo, yo + QK_K / 8);
    for (let j = 0; j < QK_K; j++) {
      if (L[j] > 3) {
        y[yo + (j % 32)] |= 1 << (j >>> 5);
        L[j] -= 4;
      }
    }
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) {
        y[yo + QS + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
      }
    }
  }
}

export function dequantizeQ3_K(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK_K;
  let o = 0;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const dAll = getF16(y, yo + D);
    let is = 0;
    let m = 1;
    for (let n = 0; n < QK_K; n += 128) {
      const q = yo + QS + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 2; half++) {
          const dl = f32(dAll * groupScale(y, yo + SCALES, is++));
          for (let l = 0; l < 16; l++) {
            const k = 16 * half + l;
            const q3 = ((y[q + k] >>> shift) & 3) - (y[yo + k] & m ? 0 : 4);
            x[o++] = dl * q3;
          }
        }
        m <<= 1;
      }
    }
  }
}
