// Merging several domains' weight deltas into one (the universal merged model), per tensor:
//   linear  the mean of the deltas
//   ties    TIES-merging (Yadav et al. 2023): trim each delta to its largest `density` share by magnitude, elect
//           each weight's sign by the summed trimmed deltas, then average only the deltas that agree with it
// The deltas are ΔW = scale · B·A of each domain's LoRA; the caller adds the result to the base weights.

export const MERGE_METHODS = ['linear', 'ties'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

/** The mean of equally long deltas. */
export function linearMerge(deltas: readonly Float32Array[]): Float32Array {
  const n = deltas[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const d of deltas) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (d[i] as number) / deltas.length;
  return out;
}

/** The magnitude at or above which `density` of |delta| lies (ties included), so the top share is kept. */
export function trimThreshold(delta: Float32Array, density: number): number {
  if (density >= 1) return 0;
  const keep = Math.max(1, Math.round(delta.length * density));
  const mags = Float32Array.from(delta, Math.abs).sort();
  return mags[mags.length - keep] as number;
}

/** TIES-merging of equally long deltas; `density` is the share of each delta kept (default 0.2). */
export function tiesMerge(deltas: readonly Float32Array[], density = 0.2): Float32Array {
  if (!(density > 0 && density <= 1)) throw new RangeError(`density must be in (0, 1], got ${density}`);
  const n = deltas[0]?.length ?? 0;
  const trimmed = deltas.map((d) => {
    const t = trimThreshold(d, density);
    return d.map((x) => (Math.abs(x) >= t ? x : 0));
  });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const t of trimmed) sum += t[i] as number;
    const sign = Math.sign(sum);
    if (sign === 0) continue;
    let agree = 0;
    let total = 0;
    for (const t of trimmed) {
      const x = t[i] as number;
      if (x !== 0 && Math.sign(x) === sign) {
        total += x;
        agree++;
      }
    }
    out[i] = agree === 0 ? 0 : total / agree;
  }
  return out;
}
