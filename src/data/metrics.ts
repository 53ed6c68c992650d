// Data quality metrics: distinct-n (Li et al. 2016), near-duplicates by MinHash over word 5-gram shingles with
// LSH banding (candidates are confirmed by exact Jaccard), and label entropy.

/** Lower-case word tokens (letters, digits and apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
}

/** Distinct n-grams / total n-grams over all texts (n-grams do not cross text boundaries). 0 when there are none. */
export function distinctN(texts: Iterable<string>, n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const t of texts) {
    const w = words(t);
    for (let i = 0; i + n <= w.length; i++) {
      seen.add(w.slice(i, i + n).join(' '));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/** Shannon entropy in bits of a label distribution. */
export function entropyBits(labels: Iterable<string>): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const l of labels) {
    counts.set(l, (counts.get(l) ?? 0) + 1);
    total++;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / total) * Math.log2(c / total);
  return h === 0 ? 0 : h;
}

export const SHINGLE_WORDS = 5;
export const NEAR_DUPLICATE_JACCARD = 0.8;

/** Hashes of a text's word 5-gram shingles (a text shorter than 5 words is one shingle). */
export function shingles(text: string, k = SHINGLE_WORDS): Set<number> {
  const w = words(text);
  const out = new Set<number>();
  if (w.length < k) {
    out.add(fnv1a(w.join(' ')));
    return out;
  }
  for (let i = 0; i + k <= w.length; i++) out.add(fnv1a(w.slice(i, i + k).join(' ')));
  return out;
}

export function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

const BANDS = 32;
const ROWS = 4;
const HASHES = BANDS * ROWS;
const SEEDS = Array.from({ length: HASHES }, (_, i) => mix32(0x9e3779b9 * (i + 1)));

/** MinHash signature of a shingle set. */
export function minhash(set: ReadonlySet<number>): Uint32Array {
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (const x of set) {
    for (let i = 0; i < HASHES; i++) {
      const h = mix32(x ^ (SEEDS[i] as number));
      if (h < (sig[i] as number)) sig[i] = h;
    }
  }
  return sig;
}

/**
 * An index of texts that answers "is there a stored text with Jaccard ≥ 0.8 to this one?". LSH with 32 bands of 4
 * rows finds a pair at Jaccard 0.8 with probability 1 − (1 − 0.8⁴)³² ≈ 0.99999; candidates are confirmed exactly.
 */
export class NearDuplicateIndex {
  private readonly buckets = new Map<string, number[]>();
  private readonly sets = new Map<number, Set<number>>();

  constructor(private readonly threshold = NEAR_DUPLICATE_JACCARD) {}

  /** The id of a stored near-duplicate of `text`, or undefined. */
  findNearDuplicate(text: string): number | undefined {
    const set = shingles(text);
    const sig = minhash(set);
    const checked = new Set<number>();
    for (let b = 0; b < BANDS; b++) {
      for (const id of this.buckets.get(bandKey(sig, b)) ?? []) {
        if (checked.has(id)) continue;
        checked.add(id);
        if (jaccard(set, this.sets.get(id) as Set<number>) >= this.threshold) return id;
      }
    }
    return undefined;
  }

  add(text: string, id: number): void {
    const set = shingles(text);
    const sig = minhash(set);
    this.sets.set(id, set);
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(sig, b);
      const bucket = this.buckets.get(key);
      if (bucket) bucket.push(id);
      else this.buckets.set(key, [id]);
    }
  }
}

/** Share of texts that have a near-duplicate earlier in the list. */
export function nearDuplicateRate(texts: readonly string[]): number {
  const index = new NearDuplicateIndex();
  let dups = 0;
  texts.forEach((t, i) => {
    if (index.findNearDuplicate(t) !== undefined) dups++;
    else index.add(t, i);
  });
  return texts.length === 0 ? 0 : dups / texts.length;
}

function bandKey(sig: Uint32Array, band: number): string {
  const o = band * ROWS;
  return `${band}:${sig[o]}:${sig[o + 1]}:${sig[o + 2]}:${sig[o + 3]}`;
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit finaliser (murmur3 fmix32). */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
