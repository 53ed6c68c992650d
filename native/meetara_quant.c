// Native quantize-row kernels for the ggml block types: a C port of src/quant/blocks/*.ts, which stay the
// readable reference and the fallback. Every float expression keeps the TypeScript's float32 operation order
// (each f32(...) there is one float operation here), so the bytes are the same on both paths; the tests check
// both against ggml. Build with IEEE float semantics: no -ffast-math, and -ffp-contract=off so the compiler
// does not fuse a*b+c into an FMA (one rounding instead of two).
//
// JavaScript API (one function): quantize(type: number, x: Float32Array, y: Uint8Array): void, where type is
// the ggml type id, x holds whole blocks and y exactly the type's bytes for them. `types` lists the ids.

#include <float.h>
#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "float expressions must be evaluated in float (FLT_EVAL_METHOD 0), or results differ from ggml"
#endif

#define QK 32
#define QK_K 256
#define GROUP_MAX_EPS 1e-15f
#define TENTH 0.1f

// ---- float32 helpers (src/quant/float32.ts, src/quant/float16.ts) ----

static inline uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static inline float f32_from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

// float32 -> IEEE half, round to nearest even; NaN becomes the quiet NaN 0x7E00 with the sign kept.
static uint16_t fp32_to_fp16(float f) {
  const uint32_t bits = f32_bits(f);
  const uint32_t sign = (bits >> 16) & 0x8000;
  const uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return (uint16_t)(sign | 0x7e00);
  if (abs >= 0x477ff000) return (uint16_t)(sign | 0x7c00); // 65520 and up round to infinity
  if (abs >= 0x38800000) {                                  // normal half: rebias, round away 13 bits
    const uint32_t rounded = abs + 0xfff + ((abs >> 13) & 1);
    return (uint16_t)(sign | ((rounded >> 13) - (112 << 10)));
  }
  // Subnormal half: the value in units of 2^-24, half to even (exact in double).
  const double units = fabs((double)f32_from_bits(abs)) * 16777216.0;
  const double q = floor(units);
  const double rest = units - q;
  uint32_t qi = (uint32_t)q;
  if (rest > 0.5 || (rest == 0.5 && (qi & 1))) qi++;
  return (uint16_t)(sign | qi);
}

static float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000 | (mant ? 0x400000 | (mant << 13) : 0));
  if (exp == 0) {
    const float v = (float)mant * 0x1p-24f;
    return sign ? -v : v;
  }
  return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

// float32 -> bfloat16, round to nearest even; NaN keeps its top bits with the quiet bit forced.
static uint16_t fp32_to_bf16(float f) {
  const uint32_t bits = f32_bits(f);
  if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)((bits >> 16) | 0x40);
  return (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

static inline void put_f16(uint8_t *y, float v) {
  const uint16_t h = fp32_to_fp16(v);
  y[0] = h & 0xff;
  y[1] = h >> 8;
}

static inline float get_f16(const uint8_t *y) { return fp16_to_fp32((uint16_t)(y[0] | (y[1] << 8))); }

static inline void put_u32(uint8_t *y, uint32_t v) {
  y[0] = v & 0xff;
  y[1] = (v >> 8) & 0xff;
  y[2] = (v >> 16) & 0xff;
  y[3] = v >> 24;
}

// Round half to even through the float32 mantissa (adding 1.5·2^23), as nearestInt in float32.ts.
static inline int nearest_int(float f) {
  const float v = f + 12582912.f;
  int32_t i;
  memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// A float -> int32 cast as x86-64 does it (cvttss2si): NaN and out-of-range values give INT32_MIN. Written
// out so the result does not depend on what the compiler does with an undefined conversion.
static inline int32_t trunc_i32(float f) {
  const double d = f;
  return d > -2147483649.0 && d < 2147483648.0 ? (int32_t)d : INT32_MIN;
}

// A float -> int8_t cast: truncate to int32, keep the low byte, read it as signed.
static inline int trunc_i8(float f) { return (int8_t)(uint8_t)(trunc_i32(f) & 0xff); }

static inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static inline int min_int(int a, int b) { return a < b ? a : b; }

// ---- legacy formats: blocks of 32 ----

static void quantize_q8_0(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n / QK; i++, x += QK, y += 2 + QK) {
    float amax = 0;
    for (int j = 0; j < QK; j++) {
      const float v = fabsf(x[j]);
      amax = amax > v ? amax : v; // the C MAX macro: NaN handling matters
    }
    const float d = amax / 127;
    const float id = d != 0 ? 1 / d : 0;
    put_f16(y, d);
    for (int j = 0; j < QK; j++) y[2 + j] = (uint8_t)(trunc_i32(roundf(x[j] * id)) & 0xff);
  }
}

static void quantize_q4_0(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n / QK; i++, x += QK, y += 2 + QK / 2) {
    float amax = 0, max = 0;
    for (int j = 0; j < QK; j++) {
      if (amax < fabsf(x[j])) {
        amax = fabsf(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8;
    const float id = d != 0 ? 1 / d : 0;
    put_f16(y, d);
    for (int j = 0; j < QK / 2; j++) {
      const int q0 = min_int(trunc_i8(x[j] * id + 8.5f), 15) & 0xff;
      const int q1 = min_int(trunc_i8(x[QK / 2 + j] * id + 8.5f), 15) & 0xff;
      y[2 + j] = (uint8_t)(q0 | (q1 << 4));
    }
  }
}

static void quantize_q4_1(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n / QK; i++, x += QK, y += 4 + QK / 2) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < QK; j++) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 15;
    const float id = d != 0 ? 1 / d : 0;
    put_f16(y, d);
    put_f16(y + 2, min);
    for (int j = 0; j < QK / 2; j++) {
      const int q0 = min_int(trunc_i8((x[j] - min) * id + 0.5f), 15) & 0xff;
      const int q1 = min_int(trunc_i8((x[QK / 2 + j] - min) * id + 0.5f), 15) & 0xff;
      y[4 + j] = (uint8_t)(q0 | (q1 << 4));
    }
  }
}

static void quantize_q5_0(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n / QK; i++, x += QK, y += 6 + QK / 2) {
    float amax = 0, max = 0;
    for (int j = 0; j < QK; j++) {
      if (amax < fabsf(x[j])) {
        amax = fabsf(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16;
    const float id = d != 0 ? 1 / d : 0;
    put_f16(y, d);
    uint32_t qh = 0;
    for (int j = 0; j < QK / 2; j++) {
      const int q0 = min_int(trunc_i8(x[j] * id + 16.5f), 31) & 0xff;
      const int q1 = min_int(trunc_i8(x[QK / 2 + j] * id + 16.5f), 31) & 0xff;
      y[6 + j] = (uint8_t)((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= (uint32_t)((q0 & 0x10) >> 4) << j;
      qh |= (uint32_t)((q1 & 0x10) >> 4) << (j + QK / 2);
    }
    put_u32(y + 2, qh);
  }
}

static void quantize_q5_1(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n / QK; i++, x += QK, y += 8 + QK / 2) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < QK; j++) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 31;
    const float id = d != 0 ? 1 / d : 0;
    put_f16(y, d);
    put_f16(y + 2, min);
    uint32_t qh = 0;
    for (int j = 0; j < QK / 2; j++) {
      const int q0 = trunc_i32((x[j] - min) * id + 0.5f) & 0xff; // no clamp, as in the C reference
      const int q1 = trunc_i32((x[QK / 2 + j] - min) * id + 0.5f) & 0xff;
      y[8 + j] = (uint8_t)((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= (uint32_t)((q0 & 0x10) >> 4) << j;
      qh |= (uint32_t)((q1 & 0x10) >> 4) << (j + QK / 2);
    }
    put_u32(y + 4, qh);
  }
}

// ---- K-quant scale searches (src/quant/blocks/k-quants.ts) ----

#define U_ROUNDOFF 0x1p-24 // float32 unit roundoff

// A lower bound on the float32 error make_qkx2_quants computes for a candidate, from double moments only;
// -INFINITY when no useful bound exists. The derivation is written out in k-quants.ts (errorLowerBound).
static double error_lower_bound(int n, int nmax, double mW, double mX, double mXabs, double mXX, double mL, double mL2,
                                double mXL, double mXLabs) {
  const double det = mW * mL2 - mL * mL;
  if (!(det > 1e-3 * mW * mL2)) return -INFINITY;
  const double eMin = mXX - (mL2 * mX * mX - 2 * mL * mX * mXL + mW * mXL * mXL) / det;
  const double e = eMin - 1e-12 * mXX * ((mW * mL2) / det);
  if (!(e > 1e-30)) return -INFINITY;
  const double s1 = (1.03 * (mW * mXLabs + mXabs * mL)) / det;
  const double s2 = (1.001 * mXLabs) / mL2;
  const double sMax = isnan(s1) || isnan(s2) ? NAN : s1 > s2 ? s1 : s2; // Math.max: NaN wins
  const double mMax = (1.03 * (mL2 * mXabs + mL * mXLabs)) / det;
  const double a = U_ROUNDOFF * (1 + U_ROUNDOFF) * (1 + U_ROUNDOFF) * (2 * sMax * nmax + mMax);
  if (!(sqrt(e) > (a * sqrt(mW)) / (1 - 2 * U_ROUNDOFF))) return -INFINITY;
  return ((1 - 2 * U_ROUNDOFF) * e - 2 * a * sqrt(mW * e)) * (1 - (n + 2) * U_ROUNDOFF);
}

// make_qkx2_quants: levels 0..nmax as scale·L - min, weighted error, nstep+1 candidate inverse scales. Returns
// the scale and stores the (positive) minimum in *the_min. Same exact shortcuts as makeQkx2Quants: repeated
// levels, the lower bound (squared error only), and stopping an error sum once it cannot win.
static float make_qkx2_quants(int n, int nmax, const float *x, const float *w, uint8_t *L, float *the_min, float rmin,
                              float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    memset(L, 0, (size_t)n);
    *the_min = -min;
    return 0;
  }
  double mW = 0, mX = 0, mXabs = 0, mXX = 0;
  if (!use_mad) {
    for (int i = 0; i < n; i++) {
      const double wi = w[i], xi = x[i];
      mW += wi;
      mX += wi * xi;
      mXabs += wi * fabs(xi);
      mXX += wi * xi * xi;
    }
  }
  float shifted[32];
  uint8_t Laux[32] = {0}; // read only once fresh is set; zeroed to keep the compiler sure of that
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; i++) {
    shifted[i] = x[i] - min;
    const int l = clamp_int(nearest_int(iscale * shifted[i]), 0, nmax);
    L[i] = (uint8_t)l;
    const float diff = scale * l + min - x[i];
    best_error += w[i] * (use_mad ? fabsf(diff) : diff * diff);
  }
  if (nstep < 1) {
    *the_min = -min;
    return scale;
  }
  bool fresh = false; // Laux holds the previous candidate's levels
  for (int is = 0; is <= nstep; is++) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    bool same = fresh;
    for (int i = 0; i < n; i++) {
      const uint8_t l = (uint8_t)clamp_int(nearest_int(iscale * shifted[i]), 0, nmax);
      if (l != Laux[i]) {
        same = false;
        Laux[i] = l;
      }
    }
    fresh = true;
    if (same) continue;
    if (!use_mad) {
      double mL = 0, mL2 = 0, mXL = 0, mXLabs = 0;
      for (int i = 0; i < n; i++) {
        const double wl = (double)w[i] * Laux[i];
        mL += wl;
        mL2 += wl * Laux[i];
        mXL += wl * x[i];
        mXLabs += wl * fabs((double)x[i]);
      }
      if (error_lower_bound(n, nmax, mW, mX, mXabs, mXX, mL, mL2, mXL, mXLabs) > best_error) continue;
    }
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; i++) {
      const int l = Laux[i];
      const float wl = w[i] * l;
      sum_l += wl;
      sum_l2 += wl * l;
      sum_xl += wl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (!(D > 0)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float cur_error = 0;
    int i = 0;
    if (use_mad) {
      for (; i < n && !(cur_error >= best_error); i++) {
        const float diff = this_scale * Laux[i] + this_min - x[i];
        cur_error += w[i] * fabsf(diff);
      }
    } else {
      for (; i < n && !(cur_error >= best_error); i++) {
        const float diff = this_scale * Laux[i] + this_min - x[i];
        cur_error += w[i] * (diff * diff);
      }
    }
    if (i == n && cur_error < best_error) {
      memcpy(L, Laux, (size_t)n);
      best_error = cur_error;
      scale = this_scale;
      if (this_min != min) {
        min = this_min;
        for (int k = 0; k < n; k++) shifted[k] = x[k] - min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// make_qx_quants with rmse_type 1 and weights x² (the Q6_K path): levels -nmax..nmax-1 stored as L + nmax.
static float make_qx_quants(int n, int nmax, const float *x, uint8_t *L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; i++) {
    const float ax = fabsf(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    memset(L, 0, (size_t)n);
    return 0;
  }
  float w[32], wx[32];
  int levels[32];
  for (int i = 0; i < n; i++) {
    w[i] = x[i] * x[i];
    wx[i] = w[i] * x[i];
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; i++) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = (uint8_t)(l + nmax);
    levels[i] = l;
    sumlx += wx[i] * l;
    suml2 += w[i] * l * l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(nmax + TENTH * is) / max;
    bool same = true;
    for (int i = 0; i < n; i++) {
      const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      if (l != levels[i]) {
        same = false;
        levels[i] = l;
      }
    }
    if (same && is != -9) continue; // the first candidate is compared with the initial fit's own test
    sumlx = 0;
    suml2 = 0;
    for (int i = 0; i < n; i++) {
      sumlx += wx[i] * levels[i];
      suml2 += w[i] * levels[i] * levels[i];
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; i++) L[i] = (uint8_t)(nmax + levels[i]);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// make_q3_quants with do_rmse (the Q3_K path): levels -nmax..nmax-1, then coordinate descent on the
// x²-weighted error. L receives level + nmax.
static float make_q3_quants(int n, int nmax, const float *x, int8_t *L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; i++) {
    const float ax = fabsf(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    memset(L, 0, (size_t)n);
    return 0;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; i++) {
    const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    L[i] = (int8_t)l;
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; itry++) {
    int changed = 0;
    for (int i = 0; i < n; i++) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        const int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = (int8_t)new_l;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
  return suml2 > 0 ? sumlx / suml2 : 0;
}

// ---- K-quant formats: super-blocks of 256 ----

static void quantize_q2_k(const float *x, uint8_t *y, int64_t n) {
  uint8_t L[QK_K];
  float weights[16], scales[QK_K / 16], mins[QK_K / 16];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K, y += 84) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < QK_K / 16; j++) {
      for (int l = 0; l < 16; l++) weights[l] = fabsf(x[16 * j + l]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, TENTH, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
      const float iscale = 15 / max_scale;
      for (int j = 0; j < QK_K / 16; j++) y[j] = (uint8_t)nearest_int(iscale * scales[j]);
      put_f16(y + 80, max_scale / 15);
    } else {
      memset(y, 0, 16);
      put_f16(y + 80, 0);
    }
    if (max_min > 0) {
      const float iscale = 15 / max_min;
      for (int j = 0; j < QK_K / 16; j++) y[j] |= (uint8_t)(nearest_int(iscale * mins[j]) << 4);
      put_f16(y + 82, max_min / 15);
    } else {
      put_f16(y + 82, 0);
    }
    // Requantize against the rounded scales.
    const float d_all = get_f16(y + 80), m_all = get_f16(y + 82);
    for (int j = 0; j < QK_K / 16; j++) {
      const float d = d_all * (y[j] & 0xf);
      if (d == 0) continue;
      const float dm = m_all * (y[j] >> 4);
      for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = (uint8_t)clamp_int(nearest_int((x[16 * j + ii] + dm) / d), 0, 3);
    }
    for (int j = 0; j < QK_K; j += 128) {
      for (int l = 0; l < 32; l++) {
        y[16 + j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
      }
    }
  }
}

// The signed 6-bit scale of Q3_K group j (low nibbles in bytes 0-7, high bit pairs in bytes 8-11).
static inline int q3_group_scale(const uint8_t *s, int j) {
  const int low = j < 8 ? s[j] & 0xf : s[j - 8] >> 4;
  const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | (high << 4)) - 32;
}

static void quantize_q3_k(const float *x, uint8_t *y, int64_t n) {
  int8_t L[QK_K];
  float scales[QK_K / 16];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K, y += 110) {
    uint8_t *s = y + 96;
    float max_scale = 0, amax = 0;
    for (int j = 0; j < QK_K / 16; j++) {
      scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
      const float scale = fabsf(scales[j]);
      if (scale > amax) {
        amax = scale;
        max_scale = scales[j];
      }
    }
    memset(s, 0, 12);
    if (max_scale != 0) {
      const float iscale = -32 / max_scale;
      for (int j = 0; j < QK_K / 16; j++) {
        const int l8 = (int8_t)(uint8_t)(nearest_int(iscale * scales[j]) & 0xff); // stored into an int8_t
        const int l = clamp_int(l8, -32, 31) + 32;
        if (j < 8) s[j] = (uint8_t)(l & 0xf);
        else s[j - 8] |= (uint8_t)((l & 0xf) << 4);
        s[8 + j % 4] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
      }
      put_f16(y + 108, 1 / iscale);
    } else {
      put_f16(y + 108, 0);
    }
    const float d_all = get_f16(y + 108);
    for (int j = 0; j < QK_K / 16; j++) {
      const float d = d_all * q3_group_scale(s, j);
      if (d == 0) continue;
      for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = (int8_t)(clamp_int(nearest_int(x[16 * j + ii] / d), -4, 3) + 4);
    }
    // The high bit of value j goes to hmask[j % 32], bit j / 32.
    memset(y, 0, QK_K / 8);
    for (int j = 0; j < QK_K; j++) {
      if (L[j] > 3) {
        y[j % 32] |= (uint8_t)(1 << (j / 32));
        L[j] -= 4;
      }
    }
    for (int j = 0; j < QK_K; j += 128) {
      for (int l = 0; l < 32; l++) {
        y[32 + j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
      }
    }
  }
}

// Packs / unpacks 6-bit scale and min pair j of 8 in the 12-byte scales field of Q4_K and Q5_K.
static inline void put_scale_min_k4(uint8_t *s, int j, int ls, int lm) {
  if (j < 4) {
    s[j] = (uint8_t)ls;
    s[j + 4] = (uint8_t)lm;
  } else {
    s[j + 4] = (uint8_t)((ls & 0xf) | ((lm & 0xf) << 4));
    s[j - 4] |= (uint8_t)((ls >> 4) << 6);
    s[j] |= (uint8_t)((lm >> 4) << 6);
  }
}

static inline void get_scale_min_k4(const uint8_t *s, int j, int *sc, int *m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4);
    *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Fits the eight groups of one Q4_K / Q5_K super-block (fitScaleMinBlock in q4_k.ts): writes d, dmin and the
// scales at y, and leaves the levels against the rounded scales in L.
static void fit_scale_min_block(const float *x, uint8_t *y, int nmax, float rmin, int nstep, uint8_t *L) {
  float weights[32], scales[QK_K / 32], mins[QK_K / 32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < QK_K / 32; j++) {
    const float *g = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; l++) sum_x2 += g[l] * g[l];
    const float av_x = sqrtf(sum_x2 / 32);
    for (int l = 0; l < 32; l++) weights[l] = av_x + fabsf(g[l]);
    scales[j] = make_qkx2_quants(32, nmax, g, weights, L + 32 * j, &mins[j], rmin, TENTH, nstep, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63 / max_scale : 0;
  const float inv_min = max_min > 0 ? 63 / max_min : 0;
  uint8_t *s = y + 4;
  memset(s, 0, 12);
  for (int j = 0; j < QK_K / 32; j++) {
    int ls = nearest_int(inv_scale * scales[j]) & 0xff; // uint8_t, then MIN(63, ·)
    int lm = nearest_int(inv_min * mins[j]) & 0xff;
    put_scale_min_k4(s, j, ls < 63 ? ls : 63, lm < 63 ? lm : 63);
  }
  put_f16(y, max_scale / 63);
  put_f16(y + 2, max_min / 63);
  const float d_all = get_f16(y), m_all = get_f16(y + 2);
  for (int j = 0; j < QK_K / 32; j++) {
    int sc, m;
    get_scale_min_k4(s, j, &sc, &m);
    const float d = d_all * sc;
    if (d == 0) continue;
    const float dm = m_all * m;
    for (int ii = 0; ii < 32; ii++) L[32 * j + ii] = (uint8_t)clamp_int(nearest_int((x[32 * j + ii] + dm) / d), 0, nmax);
  }
}

static void quantize_q4_k(const float *x, uint8_t *y, int64_t n) {
  uint8_t L[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K, y += 144) {
    fit_scale_min_block(x, y, 15, -1, 20, L);
    for (int j = 0; j < QK_K; j += 64) {
      for (int l = 0; l < 32; l++) y[16 + j / 2 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
  }
}

static void quantize_q5_k(const float *x, uint8_t *y, int64_t n) {
  uint8_t L[QK_K];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K, y += 176) {
    fit_scale_min_block(x, y, 31, -0.5f, 15, L);
    uint8_t *qh = y + 16, *ql = y + 48;
    memset(qh, 0, QK_K / 8);
    uint8_t m1 = 1, m2 = 2;
    for (int n0 = 0; n0 < QK_K; n0 += 64, ql += 32, m1 <<= 2, m2 <<= 2) {
      for (int j = 0; j < 32; j++) {
        int l1 = L[n0 + j], l2 = L[n0 + j + 32];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] |= m1;
        }
        if (l2 > 15) {
          l2 -= 16;
          qh[j] |= m2;
        }
        ql[j] = (uint8_t)(l1 | (l2 << 4));
      }
    }
  }
}

static void quantize_q6_k(const float *x, uint8_t *y, int64_t n) {
  uint8_t L[QK_K];
  float scales[QK_K / 16];
  for (int64_t i = 0; i < n / QK_K; i++, x += QK_K, y += 210) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < QK_K / 16; ib++) {
      const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      scales[ib] = scale;
      if (fabsf(scale) > max_abs_scale) {
        max_abs_scale = fabsf(scale);
        max_scale = scale;
      }
    }
    if (max_abs_scale < GROUP_MAX_EPS) {
      memset(y, 0, 210);
      continue;
    }
    uint8_t *sc = y + 192;
    const float iscale = -128 / max_scale;
    put_f16(y + 208, 1 / iscale);
    for (int ib = 0; ib < QK_K / 16; ib++) {
      const int v = nearest_int(iscale * scales[ib]);
      sc[ib] = (uint8_t)(v < 127 ? v : 127);
    }
    const float d_all = get_f16(y + 208);
    for (int j = 0; j < QK_K / 16; j++) {
      const float d = d_all * (int8_t)sc[j];
      if (d == 0) continue;
      for (int ii = 0; ii < 16; ii++) L[16 * j + ii] = (uint8_t)(clamp_int(nearest_int(x[16 * j + ii] / d), -32, 31) + 32);
    }
    for (int j = 0; j < QK_K; j += 128) {
      uint8_t *ql = y + j / 2, *qh = y + 128 + j / 4;
      for (int l = 0; l < 32; l++) {
        ql[l] = (uint8_t)((L[j + l] & 0xf) | ((L[j + l + 64] & 0xf) << 4));
        ql[l + 32] = (uint8_t)((L[j + l + 32] & 0xf) | ((L[j + l + 96] & 0xf) << 4));
        qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                          ((L[j + l + 96] >> 4) << 6));
      }
    }
  }
}

// ---- f16 / bf16 rows ----

static void quantize_f16(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) put_f16(y + 2 * i, x[i]);
}

static void quantize_bf16(const float *x, uint8_t *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const uint16_t h = fp32_to_bf16(x[i]);
    y[2 * i] = h & 0xff;
    y[2 * i + 1] = h >> 8;
  }
}

// ---- the table and the N-API binding ----

typedef void (*quantize_fn)(const float *x, uint8_t *y, int64_t n);

// ggml type id, elements per block, bytes per block, kernel (ids from ggml.h / src/gguf/constants.ts).
static const struct {
  int type;
  int block_size;
  int type_size;
  quantize_fn fn;
} KERNELS[] = {
    {1, 1, 2, quantize_f16},     {2, QK, 18, quantize_q4_0},     {3, QK, 20, quantize_q4_1},
    {6, QK, 22, quantize_q5_0},  {7, QK, 24, quantize_q5_1},     {8, QK, 34, quantize_q8_0},
    {10, QK_K, 84, quantize_q2_k}, {11, QK_K, 110, quantize_q3_k}, {12, QK_K, 144, quantize_q4_k},
    {13, QK_K, 176, quantize_q5_k}, {14, QK_K, 210, quantize_q6_k}, {30, 1, 2, quantize_bf16},
};
#define N_KERNELS (sizeof(KERNELS) / sizeof(KERNELS[0]))

#define CHECK(call)                                                                                              \
  do {                                                                                                           \
    if ((call) != napi_ok) {                                                                                     \
      napi_throw_error(env, NULL, "meetara_quant: N-API call failed: " #call);                                  \
      return NULL;                                                                                               \
    }                                                                                                            \
  } while (0)

static napi_value quantize(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) {
    napi_throw_type_error(env, NULL, "quantize(type, x: Float32Array, y: Uint8Array) takes 3 arguments");
    return NULL;
  }
  int32_t type;
  CHECK(napi_get_value_int32(env, argv[0], &type));
  bool is_typed;
  CHECK(napi_is_typedarray(env, argv[1], &is_typed));
  napi_typedarray_type xt = napi_int8_array, yt = napi_int8_array;
  size_t xn = 0, yn = 0;
  void *xd = NULL, *yd = NULL;
  if (is_typed) CHECK(napi_get_typedarray_info(env, argv[1], &xt, &xn, &xd, NULL, NULL));
  CHECK(napi_is_typedarray(env, argv[2], &is_typed));
  if (is_typed) CHECK(napi_get_typedarray_info(env, argv[2], &yt, &yn, &yd, NULL, NULL));
  if (xt != napi_float32_array || yt != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "quantize(type, x, y) needs x: Float32Array and y: Uint8Array");
    return NULL;
  }
  for (size_t k = 0; k < N_KERNELS; k++) {
    if (KERNELS[k].type != type) continue;
    const size_t blocks = xn / (size_t)KERNELS[k].block_size;
    if (xn % (size_t)KERNELS[k].block_size != 0 || yn != blocks * (size_t)KERNELS[k].type_size) {
      napi_throw_range_error(env, NULL, "quantize: x is not whole blocks or y is not exactly their byte size");
      return NULL;
    }
    if (xn > 0) KERNELS[k].fn((const float *)xd, (uint8_t *)yd, (int64_t)xn);
    return NULL;
  }
  napi_throw_range_error(env, NULL, "quantize: no native kernel for this ggml type");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn, types;
  CHECK(napi_create_function(env, "quantize", NAPI_AUTO_LENGTH, quantize, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "quantize", fn));
  CHECK(napi_create_array_with_length(env, N_KERNELS, &types));
  for (uint32_t k = 0; k < N_KERNELS; k++) {
    napi_value id;
    CHECK(napi_create_int32(env, KERNELS[k].type, &id));
    CHECK(napi_set_element(env, types, k, id));
  }
  CHECK(napi_set_named_property(env, exports, "types", types));
  return exports;
}
