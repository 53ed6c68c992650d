import { describe, expect, it } from 'vitest';
import { paraphrase, SYNONYM_GROUPS } from '../../src/data/paraphrase.ts';
import { Rng } from '../../src/util/random.ts';

const variants = (text: string, n = 200) => {
  const rng = new Rng(9);
  return new Set(Array.from({ length: n }, () => paraphrase(rng, text)));
};

describe('paraphrase (synonym swaps)', () => {
  it('swaps each table phrase only for members of its own group', () => {
    for (const group of SYNONYM_GROUPS) {
      for (const phrase of group) {
        const got = variants(`Then ${phrase} here.`, 60);
        const allowed = new Set(group.map((p) => `Then ${p} here.`));
        for (const v of got) expect(allowed.has(v), `${phrase} → ${v}`).toBe(true);
        expect(got.size, phrase).toBeGreaterThan(1);
      }
    }
  });

  it('keeps a capital first letter and makes a/an agree only where it swapped', () => {
    expect(variants('Maybe start small.')).toEqual(
      new Set(['Maybe start small.', 'Perhaps start small.', 'Maybe start modest.', 'Perhaps start modest.']),
    );
    expect(variants('It is an important step.')).toEqual(
      new Set(['It is an important step.', 'It is an essential step.', 'It is a crucial step.']),
    );
    // Catalog text outside a swap is left exactly as written, even an article the fixer would not choose.
    expect(variants('Keep a one-page summary.')).toEqual(new Set(['Keep a one-page summary.']));
  });

  it('is deterministic for a seed', () => {
    const text = 'Try to write down a few small goals every day, and talk to a friend right away.';
    expect(paraphrase(new Rng(1), text)).toBe(paraphrase(new Rng(1), text));
    expect(variants(text).size).toBeGreaterThan(20);
  });
});
