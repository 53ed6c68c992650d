// Q4_K: super-blocks of 256 as { d: f16, dmin: f16, scales: u8[12], qs: u8[128] }. Eight groups of 32, each with
// a 6-bit scale and 6-bit min; value = d·sc·q - dmin·m with q in 0..15. Groups are fitted by make_qkx2_quants
// weighted by rms(x) + |x|.

import { f32, nearestInt } from '../float32.ts';
import { getF16, putF16, QK_K } from './common.ts';
import { clamp, getScaleMinK4, makeQkx2Quants, putScaleMinK4, type ScaleMin, TENTH } from './k-quants.ts';

const BLOCK_BYTES = 144;
const DMIN = 2;
const SCALES = 4;
const QS = 16;

const L = new Uint8Array(QK_K);
const weights = new Float32Array(32);
const scales = new Float32Array(QK_K / 32);
const mins = new Float32Array(QK_K / 32);
const fit: ScaleMin = { scale: 0, min: 0 };

/**
 * Fits the eight groups of one super-block (shared with Q5_K): fills L, scales, mins and the d/dmin/scales
 * header at `yo`, then requantizes every value against the rounded scales. Returns nothing; L holds the levels.
 */
export function fitScaleMinBlock(
  x: Float32Array,
  xo: number,
  y: Uint8Array,
  yo: number,
  nmax: number,
  rmin: number,
  nstep: number,
  L: Uint8Array,
): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < QK_K / 32; j++) {
    const g = xo + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f32(sumX2 + f32(x[g + l] * x[g + l]));
    const avX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f32(avX + Math.abs(x[g + l]));
    makeQkx2Quants(32, nmax, x, g, weights, L, 32 * j, rmin, TENTH, nstep, false, fit);
    scales[j] = fit.scale;
    mins[j] = fit.min;
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }

  const invScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  for (let j = 0; j < QK_K / 32; j++) {
    const ls = Math.min(63, nearestInt(f32(invScale * scales[j])) & 0xff); // uint8_t, then MIN(63, ·)
    const lm = Math.min(63, nearestInt(f32(invMin * mins[j])) & 0xff);
    putScaleMinK4(y, yo + SCALES, j, ls, lm);
  }
  putF16(y, yo, f32(maxScale / 63));
  putF16(y, yo + DMIN, f32(maxMin / 63));

  const dAll = getF16(y, yo);
  const mAll = getF16(y, yo + DMIN);
  for (let j = 0; j < QK_K / 32; j++) {
    const sm = getScaleMinK4(y, yo + SCALES, j);
    const d = f32(dAll * (sm & 0xff));
    if (d === 0) continue;
    const dm = f32(mAll * (sm >>> 8));
    for (let ii = 0; ii < 32; ii++) {
      L[32 * j + ii] = clamp(nearestInt(f32(f32(x[xo + 32 * j + ii] + dm) / d)), 0, nmax);
    }
  }
}

export function quantizeQ4_K(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK_K;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    y.fill(0, yo + SCALES, yo + SCALES + 12);
    fitScaleMinBlock(x, i * QK_K, y, yo, 15, -1, 20, L);
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) y[yo + QS + j / 2 + l] = L[j + l] | (L[j + l + 32] << 4);
    }
  }
}

export function dequantizeQ4_K(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK_K;
  let o = 0;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    const min = getF16(y, yo + DMIN);
    for (let j = 0, is = 0; j < QK_K; j += 64, is += 2) {
      const q = yo + QS + j / 2;
      const sm1 = getScaleMinK4(y, yo + SCALES, is);
      const sm2 = getScaleMinK4(y, yo + SCALES, is + 1);
      const d1 = f32(d * (sm1 & 0xff));
      const m1 = f32(min * (sm1 >>> 8));
      const d2 = f32(d * (sm2 & 0xff));
      const m2 = f32(min * (sm2 >>> 8));
      for (let l = 0; l < 32; l++) x[o++] = f32(d1 * (y[q + l] & 0xf)) - m1;
      for (let l = 0; l < 32; l++) x[o++] = f32(d2 * (y[q + l] >>> 4)) - m2;
    }
  }
}
