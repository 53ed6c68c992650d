// Q8_0: blocks of 32 as { d: f16, qs: int8[32] }, value = qs·d. quantize_row_q8_0_ref / dequantize_row_q8_0.

import { f32, roundf, truncToInt32 } from '../float32.ts';
import { getF16, putF16, QK } from './common.ts';

const BLOCK_BYTES = 2 + QK;

export function quantizeQ8_0(x: Float32Array, y: Uint8Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const xo = i * QK;
    const yo = i * BLOCK_BYTES;
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const v = Math.abs(x[xo + j]);
      // MAX(amax, v) as the C macro evaluates it; Math.max differs when amax is NaN.
      // biome-ignore lint/complexity/useMathMinMax: NaN semantics must match C
      amax = amax > v ? amax : v;
    }
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(y, yo, d);
    for (let j = 0; j < QK; j++) y[yo + 2 + j] = truncToInt32(roundf(f32(x[xo + j] * id))) & 0xff;
  }
}

export function dequantizeQ8_0(y: Uint8Array, x: Float32Array): void {
  const nb = x.length / QK;
  for (let i = 0; i < nb; i++) {
    const yo = i * BLOCK_BYTES;
    const d = getF16(y, yo);
    for (let j = 0; j < QK; j++) x[i * QK + j] = ((y[yo + 2 + j] << 24) >> 24) * d;
  }
}
