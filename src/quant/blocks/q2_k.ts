// Q2_K: super-blocks of 256 as { scales: u8[16], qs: u8[64], d: f16, dmin: f16 }. Sixteen groups of 16, each
// with a 4-bit scale (low nibble) and 4-bit min (high nibble); value = d·sc·q - dmin·m with q in 0..3.

import { f32, nearestInt } from '../float32.ts';
import { getF16, putF16, QK_K } from './common.ts';
import { clamp, makeQkx2Quants, type ScaleMin, TENTH } from './k-quants.ts';

const BLOCK_BYTES = 84;
const QS = 16;
const D = 80;
const DMIN = 82;

const L = new Uint8Array(QK_K);
const weights = new Float32Array(16);
const scales = new Float32Array(QK_K / 16);
const mins = new Float32Array(QK_K / 16);
const fit: ScaleMin = { scale: 0, min: 0 };

export function quantizeQ2_K(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK_K;
  for (let i = 0; i < nb; i++) {
    const xo = i * QK_K;
    const yo = i * BLOCK_BYTES;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < QK_K / 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]);
      makeQkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, -0.5, TENTH, 15, true, fit);
      scales[j] = fit.scale;
      mins[j] = fit.min;
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }

    if (maxScale > 0) {
      const iscale = f32(15 / maxScale);
      for (let j = 0; j < QK_K / 16; j++) y[yo + j] = nearestInt(f32(iscale * scales[j])) & 0xff;
      putF16(y, yo + D, f32(maxScale / 15));
    } else {
      y.fill(0, yo, yo + 16);
      putF16(y, yo + D, 0);
    }
    if (maxMin > 0) {
      const iscale = f32(15 / maxMin);
      for (let j = 0; j < QK_K / 16; j++) y[yo + j] |= nearestInt(f32(iscale * mins[j])) << 4;
      putF16(y, yo + DMIN, f32(maxMin / 15));
    } else {
      putF16(y, yo + DMIN, 0);
    }

    // Requantize against the rounded scales.
    const dAll = getF16(y, yo + D);
    const mAll = getF16(y, yo + DMIN);
    for (let j = 0; j < QK_K / 16; j++) {
      const d = f32(dAll * (y[yo + j] & 0xf));
      if (d === 0) continue;
      const dm = f32(mAll * (y[yo + j] >>> 4));
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = clamp(nearestInt(f32(f32(x[xo + 16 * j + ii] + dm) / d)), 0, 3);
      }
    }

    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) {
        y[yo + QS + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
      }
    }
  }
}

export function dequantizeQ2_K(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK_K;
  let o = 0;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo + D);
    const min = getF16(y, yo + DMIN);
    let is = 0;
    for (let n = 0; n < QK_K; n += 128) {
      const q = yo + QS + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 2; half++) {
          const sc = y[yo + is++];
          const dl = f32(d * (sc & 0xf));
          const ml = f32(min * (sc >>> 4));
          for (let l = 0; l < 16; l++) x[o++] = f32(dl * ((y[q + 16 * half + l] >>> shift) & 3)) - ml;
        }
      }
    }
  }
}
