// f32 <-> f16 and f32 <-> bf16, rounding as ggml does: IEEE round-to-nearest-even, overflow to infinity,
// subnormals kept. NaN becomes the quiet NaN 0x7E00 (f16, sign kept) or keeps its top bits with the quiet bit
// forced (bf16), as in ggml_compute_fp32_to_fp16 / ggml_compute_fp32_to_bf16.

const floatBox = new Float32Array(1);
const bitsBox = new Uint32Array(floatBox.buffer);

/** The float32 bit pattern of a number (rounded to float32 first). */
export function f32Bits(f: number): number {
  floatBox[0] = f;
  return bitsBox[0];
}

/** The float32 whose bit pattern is `bits`. */
export function f32FromBits(bits: number): number {
  bitsBox[0] = bits;
  return floatBox[0];
}

const F16_MIN_NORMAL_BITS = 0x38800000; // 2^-14 as float32 bits
const F16_OVERFLOW_BITS = 0x477ff000; // 65520: halfway between 65504 (max f16) and 65536; ties go to infinity

/** float32 -> IEEE half, round to nearest even. */
export function fp32ToFp16(f: number): number {
  const bits = f32Bits(f);
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00; // NaN
  if (abs >= F16_OVERFLOW_BITS) return sign | 0x7c00;
  if (abs >= F16_MIN_NORMAL_BITS) {
    // Rebias the exponent (127 -> 15) and round away the low 13 mantissa bits; a carry rolls into the exponent.
    const rounded = abs + 0xfff + ((abs >>> 13) & 1);
    return sign | ((rounded >>> 13) - (112 << 10));
  }
  // Subnormal half: the value in units of 2^-24, rounded half to even (the product is exact in double).
  const units = Math.abs(f32FromBits(abs)) * 16777216;
  let q = Math.floor(units);
  const rest = units - q;
  if (rest > 0.5 || (rest === 0.5 && (q & 1) === 1)) q++;
  return sign | q; // q = 1024 is the smallest normal, which is the right encoding
}

/** Every half's float32 value, so decoding is one table read. NaNs keep their payload with the quiet bit set. */
const F16_TABLE = (() => {
  const table = new Float32Array(65536);
  const tableBits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) tableBits[h] = sign | 0x7f800000 | (mant ? 0x400000 | (mant << 13) : 0);
    else if (exp === 0) table[h] = (sign ? -mant : mant) * 2 ** -24;
    else tableBits[h] = sign | ((exp + 112) << 23) | (mant << 13);
  }
  return table;
})();

/** IEEE half -> float32 (exact). */
export function fp16ToFp32(h: number): number {
  return F16_TABLE[h & 0xffff];
}

/** float32 -> bfloat16, round to nearest even; NaN stays NaN with the quiet bit forced. */
export function fp32ToBf16(f: number): number {
  const bits = f32Bits(f);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 -> float32 (exact). */
export function bf16ToFp32(h: number): number {
  return f32FromBits((h & 0xffff) << 16);
}

/** Row conversions over whole arrays, as ggml_fp32_to_fp16_row and friends. */
export function fp32ToFp16Row(x: Float32Array, out: Uint16Array): void {
  for (let i = 0; i < x.length; i++) out[i] = fp32ToFp16(x[i]);
}

export function fp16ToFp32Row(h: Uint16Array, out: Float32Array): void {
  for (let i = 0; i < h.length; i++) out[i] = F16_TABLE[h[i]];
}

export function fp32ToBf16Row(x: Float32Array, out: Uint16Array): void {
  for (let i = 0; i < x.length; i++) out[i] = fp32ToBf16(x[i]);
}

export function bf16ToFp32Row(h: Uint16Array, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
}
