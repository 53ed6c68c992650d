// The scale searches the K-quants share (ggml-quants.c, no importance matrix): make_qkx2_quants for the
// scale+min formats (Q2_K, Q4_K, Q5_K), make_qx_quants for Q6_K and make_q3_quants for Q3_K.
// Every float operation is rounded to float32 in C's order (see float32.ts).

import { f32, GROUP_MAX_EPS, nearestInt } from '../float32.ts';

/** 0.1f: the float literal, not the double 0.1. */
export const TENTH = Math.fround(0.1);

/**
 * Scratch for one group (at most 32 values). The hot functions copy these into locals first: V8 reloads and
 * re-checks a module-level binding on every loop iteration, but hoists those checks out of the loop for a local.
 */
const scratch = {
  /** The group's values and weights as doubles (exact copies of float32 values; cheaper to load). */
  xs: new Float64Array(32),
  ws: new Float64Array(32),
  /** x·w for makeQxQuants, x - min for makeQkx2Quants. */
  wxs: new Float64Array(32),
  shifted: new Float64Array(32),
  /** The current candidate's levels in makeQxQuants. */
  levels: new Int32Array(32),
  /** The current candidate's levels in makeQkx2Quants. */
  levelsA: new Uint8Array(32),
};

/** The result of makeQkx2Quants: the scale and the (positive) minimum to subtract. */
export interface ScaleMin {
  scale: number;
  min: number;
}

/**
 * make_qkx2_quants: quantizes x[xo .. xo+n) to 0..nmax as scale·L - min, minimising the weighted error.
 * It tries nstep+1 inverse scales around nmax/(max-min), refits scale and min by least squares for each, and
 * keeps the best. L receives the levels at lo.
 *
 * Three shortcuts keep the result identical while skipping work (a candidate wins only if its float32 error is
 * below the best so far):
 * - a candidate whose levels equal the previous candidate's has the same fit and error, so it cannot win;
 * - for the squared error, a lower bound on the float32 error from double moments (see errorLowerBound) that
 *   already exceeds the best error rules the candidate out before its float32 sums;
 * - the float32 error is a sum of non-negative terms, which can only grow, so summing stops once it reaches
 *   the best error.
 */
export function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  xo: number,
  weights: Float32Array,
  L: Uint8Array,
  lo: number,
  rmin: number,
  rdelta: number,
  nstep: number,
  useMad: boolean,
  out: ScaleMin,
): void {
  const { xs, ws, shifted, levelsA: Laux } = scratch;
  for (let i = 0; i < n; i++) {
    xs[i] = x[xo + i];
    ws[i] = weights[i];
  }
  let min = xs[0];
  let max = xs[0];
  let sumW = ws[0];
  let sumX = f32(sumW * xs[0]);
  for (let i = 1; i < n; i++) {
    const v = xs[i];
    if (v < min) min = v;
    if (v > max) max = v;
    const w = ws[i];
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    out.scale = 0;
    out.min = -min;
    return;
  }
  // Weighted moments of the group, in double, for errorLowerBound.
  let mW = 0;
  let mX = 0;
  let mXabs = 0;
  let mXX = 0;
  for (let i = 0; i < n && !useMad; i++) {
    mW += ws[i];
    mX += ws[i] * xs[i];
    mXabs += ws[i] * Math.abs(xs[i]);
    mXX += ws[i] * xs[i] * xs[i];
  }
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    const xm = f32(v - min);
    shifted[i] = xm;
    const l = clamp(nearestInt(f32(iscale * xm)), 0, nmax);
    L[lo + i] = l;
    const diff = f32(f32(f32(scale * l) + min) - v);
    bestError = f32(bestError + f32(ws[i] * (useMad ? Math.abs(diff) : f32(diff * diff))));
  }
  if (nstep < 1) {
    out.scale = scale;
    out.min = -min;
    return;
  }
  let fresh = false; // Laux holds the previous candidate's levels
  for (let is = 0; is <= nstep; is++) {
    // min moves whenever a candidate wins, and later candidates are placed against the moved min (as in C).
    iscale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let same = fresh;
    for (let i = 0; i < n; i++) {
      const l = level(f32(iscale * shifted[i]), 0, nmax);
      if (l !== Laux[i]) {
        same = false;
        Laux[i] = l;
      }
    }
    fresh = true;
    if (same) continue;
    if (!useMad) {
      // The candidate's moments in double (each product is exact); often they prove it cannot win.
      let mL = 0;
      let mL2 = 0;
      let mXL = 0;
      let mXLabs = 0;
      for (let i = 0; i < n; i++) {
        const wl = ws[i] * Laux[i];
        mL += wl;
        mL2 += wl * Laux[i];
        mXL += wl * xs[i];
        mXLabs += wl * Math.abs(xs[i]);
      }
      if (errorLowerBound(n, nmax, mW, mX, mXabs, mXX, mL, mL2, mXL, mXLabs) > bestError) continue;
    }
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Laux[i];
      const wl = f32(ws[i] * l);
      sumL = f32(sumL + wl);
      sumL2 = f32(sumL2 + f32(wl * l));
      sumXL = f32(sumXL + f32(wl * xs[i]));
    }
    const D = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (!(D > 0)) continue;
    let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / D);
    let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / D);
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = f32(sumXL / sumL2);
    }
    let curError = 0;
    let i = 0;
    if (useMad) {
      for (; i < n && !(curError >= bestError); i++) {
        const diff = f32(f32(f32(thisScale * Laux[i]) + thisMin) - xs[i]);
        curError = f32(curError + f32(ws[i] * Math.abs(diff)));
      }
    } else {
      for (; i < n && !(curError >= bestError); i++) {
        const diff = f32(f32(f32(thisScale * Laux[i]) + thisMin) - xs[i]);
        curError = f32(curError + f32(ws[i] * f32(diff * diff)));
      }
    }
    if (i === n && curError < bestError) {
      for (let k = 0; k < n; k++) L[lo + k] = Laux[k];
      bestError = curError;
      scale = thisScale;
      if (thisMin !== min) {
        min = thisMin;
        for (let k = 0; k < n; k++) shifted[k] = f32(xs[k] - min);
      }
    }
  }
  out.scale = scale;
  out.min = -min;
}

const U = 2 ** -24; // float32 unit roundoff

/**
 * A lower bound on the float32 error Σ fl(w·fl(d²)) (summed in float32, in order) that makeQkx2Quants computes
 * for a candidate with levels l, where d = fl(fl(fl(s·l) + m) - x) and (s, m) is the fit it derives from
 * float32 sums. Returns -Infinity when no useful bound is available. It needs only double moments
 * (Σw, Σwx, Σw|x|, Σwx², and Σwl, Σwl², Σwlx, Σwl|x| for the candidate), so a candidate it rules out costs
 * neither the float32 sums nor the error sum. Derivation:
 * - The real error E = Σ w·(s·l + m - x)² is at least the least-squares minimum over all (s, m):
 *   E_min = Σwx² - (Σwl²·(Σwx)² - 2·Σwl·Σwx·Σwlx + Σw·(Σwlx)²) / det, det = Σw·Σwl² - (Σwl)². A relative
 *   margin covers the rounding of the double moments; fits with det < 10⁻³·Σw·Σwl² are not bounded.
 * - Each computed d differs from the real one by at most A + u·|d|, A = u(1+u)²(2|s|·nmax + |m|) (u = 2⁻²⁴),
 *   so fl(d)² ≥ d² - 2|d|(A + u|d|), and by Cauchy-Schwarz Σ w·fl(d)² ≥ (1-2u)·E - 2A·sqrt(Σw·E).
 * - |s| and |m| are bounded from the float32 sums' error bounds (each within 64u of the exact sum of
 *   absolute terms; with the det condition the float32 denominator stays above 0.98·det).
 * - The two roundings per term and the n roundings of the running sum (all of non-negative values) each lose
 *   at most a factor (1-u), and (1-u)^k ≥ 1 - k·u.
 * Groups whose error is near float32's subnormal range get no bound, since rounding there is not relative.
 */
function errorLowerBound(
  n: number,
  nmax: number,
  mW: number,
  mX: number,
  mXabs: number,
  mXX: number,
  mL: number,
  mL2: number,
  mXL: number,
  mXLabs: number,
): number {
  const det = mW * mL2 - mL * mL;
  if (!(det > 1e-3 * mW * mL2)) return Number.NEGATIVE_INFINITY;
  const eMin = mXX - (mL2 * mX * mX - 2 * mL * mX * mXL + mW * mXL * mXL) / det;
  const e = eMin - 1e-12 * mXX * ((mW * mL2) / det);
  if (!(e > 1e-30)) return Number.NEGATIVE_INFINITY;
  // Upper bounds on the float32 fit's |s| (free or with min clamped to 0) and |m|.
  const sMax = Math.max((1.03 * (mW * mXLabs + mXabs * mL)) / det, (1.001 * mXLabs) / mL2);
  const mMax = (1.03 * (mL2 * mXabs + mL * mXLabs)) / det;
  const a = U * (1 + U) * (1 + U) * (2 * sMax * nmax + mMax);
  if (!(Math.sqrt(e) > (a * Math.sqrt(mW)) / (1 - 2 * U))) return Number.NEGATIVE_INFINITY; // bound grows with E only beyond
  return ((1 - 2 * U) * e - 2 * a * Math.sqrt(mW * e)) * (1 - (n + 2) * U);
}

/**
 * make_qx_quants with rmse_type 1 and no importance weights (the Q6_K path): symmetric levels in
 * [-nmax, nmax-1], stored as L + nmax, weighted by x², with 18 extra candidate scales around -nmax/max.
 * Returns the scale. An all-zero group gives scale 0 and L = 0. A candidate whose levels equal the previous
 * candidate's cannot change the outcome, so it is skipped.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Uint8Array, lo: number): number {
  const { xs, ws, wxs, levels } = scratch;
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    xs[i] = v;
    const ax = Math.abs(v);
    if (ax > amax) {
      amax = ax;
      max = v;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  // The weight w = x² and the product w·x do not depend on the candidate.
  for (let i = 0; i < n; i++) {
    ws[i] = f32(xs[i] * xs[i]);
    wxs[i] = f32(ws[i] * xs[i]);
  }
  let iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const l = clamp(nearestInt(f32(iscale * xs[i])), -nmax, nmax - 1);
    L[lo + i] = l + nmax;
    levels[i] = l;
    sumlx = f32(sumlx + f32(wxs[i] * l));
    suml2 = f32(suml2 + f32(f32(ws[i] * l) * l));
  }
  let scale = suml2 !== 0 ? f32(sumlx / suml2) : 0;
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f32(-f32(nmax + f32(TENTH * is)) / max);
    let same = true;
    for (let i = 0; i < n; i++) {
      const l = level(f32(iscale * xs[i]), -nmax, nmax - 1);
      if (l !== levels[i]) {
        same = false;
        levels[i] = l;
      }
    }
    if (same && is !== -9) continue;
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const l = levels[i];
      sumlx = f32(sumlx + f32(wxs[i] * l));
      suml2 = f32(suml2 + f32(f32(ws[i] * l) * l));
    }
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + levels[i];
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

/**
 * make_q3_quants with do_rmse (the Q3_K path): symmetric levels in [-nmax, nmax-1], then up to five passes
 * of coordinate descent on the x²-weighted error. L receives level + nmax (or 0 for an all-zero group).
 * Returns the scale.
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  const iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const l = clamp(nearestInt(f32(iscale * v)), -nmax, nmax - 1);
    L[lo + i] = l;
    const w = f32(v * v);
    sumlx = f32(sumlx + f32(f32(w * v) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      const w = f32(v * v);
      const li = L[lo + i];
      let slx = f32(sumlx - f32(f32(w * v) * li));
      if (slx > 0) {
        let sl2 = f32(suml2 - f32(f32(w * li) * li));
        const newL = clamp(nearestInt(f32(f32(v * sl2) / slx)), -nmax, nmax - 1);
        if (newL !== li) {
          slx = f32(slx + f32(f32(w * v) * newL));
          sl2 = f32(sl2 + f32(f32(w * newL) * newL));
          if (sl2 > 0 && f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            L[lo + i] = newL;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] += nmax;
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}

/**
 * MAX(lo, MIN(hi, nearest_int(p))), the level of a scaled value. In nearest_int's range, adding 1.5·2^52
 * rounds half to even in double exactly as C's float32 trick does, one conversion cheaper.
 */
export function level(p: number, lo: number, hi: number): number {
  const l = p <= 4194303 && p >= -4194303 ? (p + 6755399441055744 - 6755399441055744) | 0 : nearestInt(p);
  // biome-ignore lint/complexity/useMathMinMax: int32 compares; Math.min/max go through doubles in the hot loop
  return l < lo ? lo : l > hi ? hi : l;
}

/** MAX(lo, MIN(hi, v)) for an integer v (ternaries keep it in int32 arithmetic). */
export function clamp(v: number, lo: number, hi: number): number {
  // biome-ignore lint/complexity/useMathMinMax: int32 compares; Math.min/max go through doubles in the hot loop
  return v < lo ? lo : v > hi ? hi : v;
}

/** Packs 6-bit scale/min pair j of 8 into the 12-byte `scales` field of Q4_K and Q5_K (at byte `at`). */
export function putScaleMinK4(y: Uint8Array, at: number, j: number, ls: number, lm: number): void {
  if (j < 4) {
    y[at + j] = ls;
    y[at + j + 4] = lm;
  } else {
    y[at + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
    y[at + j - 4] |= (ls >>> 4) << 6;
    y[at + j] |= (lm >>> 4) << 6;
  }
}

/** get_scale_min_k4: unpacks 6-bit scale/min pair j; returns scale | min << 8. */
export function getScaleMinK4(y: Uint8Array, at: number, j: number): number {
  if (j < 4) return (y[at + j] & 63) | ((y[at + j + 4] & 63) << 8);
  const sc = (y[at + j + 4] & 0xf) | ((y[at + j - 4] >>> 6) << 4);
  const m = (y[at + j + 4] >>> 4) | ((y[at + j] >>> 6) << 4);
  return sc | (m << 8);
}
