// C float32 arithmetic in JavaScript. ggml computes in float32 (SSE2, no FMA, no fast-math in libggml-base), so
// every intermediate must be rounded to float32 exactly where C would round it. Math.fround after each single
// +, -, *, / or sqrt done in double gives the correctly rounded float32 result (double has more than 2·24+2 bits).
// The casts below mirror what the compiled x86-64 code does, including its behaviour on NaN and overflow.

/** Rounds a double to the nearest float32: one C float operation. */
export const f32 = Math.fround;

/** ggml's GROUP_MAX_EPS (1e-15f): a group whose largest magnitude is below it counts as all zero. */
export const GROUP_MAX_EPS = Math.fround(1e-15);

const cvtFloat = new Float32Array(1);
const cvtBits = new Int32Array(cvtFloat.buffer);

/**
 * ggml's nearest_int: round half to even by adding 1.5·2^23 in float32 and reading the low mantissa bits.
 * Inside its asserted range (|f| <= 4194303) that is plain rounding; outside it we reproduce the bit trick, so
 * NaN, infinities and huge values give the same integers the C code gives.
 */
export function nearestInt(f: number): number {
  if (f <= 4194303 && f >= -4194303) return (Math.fround(f + 12582912) - 12582912) | 0;
  cvtFloat[0] = f + 12582912;
  return (cvtBits[0] & 0x007fffff) - 0x00400000;
}

/** A C cast from float to int32 (cvttss2si): truncation; NaN and out-of-range values give INT32_MIN. */
export function truncToInt32(f: number): number {
  return f > -2147483649 && f < 2147483648 ? Math.trunc(f) : -2147483648;
}

/** A C cast from float to int8_t: truncate to int32, keep the low byte, read it as signed. */
export function truncToInt8(f: number): number {
  return (truncToInt32(f) << 24) >> 24;
}

/** C roundf: half away from zero. */
export function roundf(f: number): number {
  return f < 0 ? -Math.floor(0.5 - f) : Math.floor(f + 0.5);
}
