// f16 and bf16 conversions against ggml's row converters (libggml-base through koffi), on every half value
// and on a million float32 bit patterns weighted toward the ranges where rounding, subnormals and overflow live.

import { describe, expect, it } from 'vitest';
import { GgmlType } from '../../src/gguf/constants.ts';
import { quantize } from '../../src/quant/codecs.ts';
import { bf16ToFp32, bf16ToFp32Row, fp16ToFp32, fp32ToBf16, fp32ToFp16 } from '../../src/quant/float16.ts';
import { Rng } from '../../src/util/random.ts';
import { ggmlBf16ToFp32, ggmlFp16ToFp32, ggmlFp32ToBf16, ggmlFp32ToFp16 } from './ggml-oracle.ts';
import { KERNELS } from './kernels.ts';

function floatPatterns(): Float32Array {
  const rng = new Rng(5);
  const n = 1 << 20;
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = rng.nextU32();
    // Half of them get exponents 90..153 (values from about 2^-37 to 2^26): f16 subnormals, normals, overflow.
    bits[i] = i % 2 ? b : (b & 0x807fffff) | ((((b >>> 23) & 0x3f) + 90) << 23);
  }
  const specials = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x477fefff];
  specials.push(0x477ff000, 0x477ff001, 0x38800000, 0x387fffff, 0x33000000, 0x33000001, 0x7f7fffff, 0x00000001);
  bits.set(specials);
  return new Float32Array(bits.buffer);
}

const firstMismatch = (ours: (i: number) => number, ref: ArrayLike<number>) => {
  for (let i = 0; i < ref.length; i++) if (ours(i) !== ref[i]) return i;
  return -1;
};

describe('float16', () => {
  const x = floatPatterns();

  it('fp32 -> fp16 rounds like ggml_fp32_to_fp16_row (nearest even, NaN -> 0x7E00)', () => {
    const ref = ggmlFp32ToFp16(x);
    expect(firstMismatch((i) => fp32ToFp16(x[i]), ref)).toBe(-1);
  });

  it.each(KERNELS)('F16 and BF16 rows from the %s kernels equal ggml', (kernels) => {
    const f16 = new Uint16Array(quantize(GgmlType.F16, x, kernels).buffer);
    const bf16 = new Uint16Array(quantize(GgmlType.BF16, x, kernels).buffer);
    expect(firstMismatch((i) => f16[i], ggmlFp32ToFp16(x))).toBe(-1);
    expect(firstMismatch((i) => bf16[i], ggmlFp32ToBf16(x))).toBe(-1);
  });

  it('fp16 -> fp32 equals ggml_fp16_to_fp32_row bit for bit on all 65536 halves', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const ref = new Uint32Array(ggmlFp16ToFp32(halves).buffer);
    const ours = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) ours[h] = fp16ToFp32(h);
    const oursBits = new Uint32Array(ours.buffer);
    expect(firstMismatch((i) => oursBits[i], ref)).toBe(-1);
  });

  it('fp32 -> bf16 rounds like ggml_fp32_to_bf16_row_ref (nearest even, quiet NaN)', () => {
    const ref = ggmlFp32ToBf16(x);
    expect(firstMismatch((i) => fp32ToBf16(x[i]), ref)).toBe(-1);
  });

  it('bf16 -> fp32 equals ggml_bf16_to_fp32_row on all 65536 values', () => {
    const halves = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const ref = ggmlBf16ToFp32(halves);
    const ours = new Float32Array(65536);
    bf16ToFp32Row(halves, ours); // bit-exact, signalling NaNs included
    expect(firstMismatch((i) => new Uint32Array(ours.buffer)[i], new Uint32Array(ref.buffer))).toBe(-1);
    // The scalar form goes through a JS number, which keeps every non-NaN value exactly.
    expect(
      firstMismatch(
        (i) => (Number.isNaN(ref[i]) ? 0 : bf16ToFp32(i)),
        ref.map((v) => (Number.isNaN(v) ? 0 : v)),
      ),
    ).toBe(-1);
  });
});
