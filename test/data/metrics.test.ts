import { describe, expect, it } from 'vitest';
import {
  distinctN,
  entropyBits,
  jaccard,
  NearDuplicateIndex,
  nearDuplicateRate,
  shingles,
  words,
} from '../../src/data/metrics.ts';

const twenty =
  'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';

describe('data metrics on hand-made cases', () => {
  it('splits words lower-cased, keeping apostrophes', () => {
    expect(words("It's OK, really. Don't worry!")).toEqual(["it's", 'ok', 'really', "don't", 'worry']);
  });

  it('distinct-n counts unique n-grams over all texts, not across text boundaries', () => {
    expect(distinctN(['a b c', 'a b d'], 1)).toBeCloseTo(4 / 6, 12);
    expect(distinctN(['a b c', 'a b d'], 2)).toBeCloseTo(3 / 4, 12);
    // "c a" would be a bigram only if texts were joined.
    expect(distinctN(['a b c', 'a b c'], 2)).toBeCloseTo(2 / 4, 12);
    expect(distinctN(['a'], 2)).toBe(0);
  });

  it('entropy is in bits', () => {
    expect(entropyBits(['x', 'x', 'y', 'y'])).toBeCloseTo(1, 12);
    expect(entropyBits(['a', 'b', 'c', 'd'])).toBeCloseTo(2, 12);
    expect(entropyBits(['a', 'a', 'a'])).toBe(0);
    expect(entropyBits(['a', 'a', 'a', 'b'])).toBeCloseTo(-(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)), 12);
  });

  it('shingles are word 5-grams and Jaccard is exact', () => {
    expect(shingles(twenty).size).toBe(16);
    const lastChanged = twenty.replace('twenty', 'zero');
    // One shingle differs: 15 shared of 17.
    expect(jaccard(shingles(twenty), shingles(lastChanged))).toBeCloseTo(15 / 17, 12);
    const middleChanged = twenty.replace('ten', 'zero');
    // Five shingles contain "ten": 11 shared of 21.
    expect(jaccard(shingles(twenty), shingles(middleChanged))).toBeCloseTo(11 / 21, 12);
  });

  it('finds near-duplicates at Jaccard ≥ 0.8 and only those', () => {
    const index = new NearDuplicateIndex();
    index.add(twenty, 7);
    expect(index.findNearDuplicate(twenty)).toBe(7);
    expect(index.findNearDuplicate(twenty.replace('twenty', 'zero'))).toBe(7);
    expect(index.findNearDuplicate(twenty.replace('ten', 'zero'))).toBeUndefined();
    expect(
      index.findNearDuplicate('completely different words that share nothing with the stored text'),
    ).toBeUndefined();
    expect(
      nearDuplicateRate([twenty, twenty.replace('twenty', 'zero'), 'something else entirely, not close']),
    ).toBeCloseTo(1 / 3, 12);
  });
});
