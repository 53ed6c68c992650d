import { describe, expect, it } from 'vitest';
import { linearMerge, tiesMerge, trimThreshold } from '../../src/trinity/merge.ts';

const f = (xs: number[]) => Float32Array.from(xs);

describe('merging domain deltas', () => {
  it('linear is the mean', () => {
    expect(Array.from(linearMerge([f([1, -2, 4]), f([3, 2, 0])]))).toEqual([2, 0, 2]);
  });

  it('trims to the largest share by magnitude', () => {
    expect(trimThreshold(f([0.1, -5, 3, 0.2, -0.3]), 0.4)).toBe(3);
    expect(trimThreshold(f([1, 2]), 1)).toBe(0);
  });

  it('TIES: trim, elect the sign by the trimmed sum, average only the agreeing deltas (hand-computed)', () => {
    // density 0.5 keeps the 2 largest of 4 in each delta.
    const a = f([4, -1, 2, 0.5]); // keeps 4, 2
    const b = f([-1, -3, 3, 0.1]); // keeps -3, 3
    const c = f([-2, 0.2, -5, 0.3]); // keeps -2, -5
    // index 0: kept 4 and -2 → sum 2 → sign + → agreeing: 4 → 4
    // index 1: kept -3 → sign − → -3
    // index 2: kept 2, 3, -5 → sum 0 → no sign → 0
    // index 3: nothing kept → 0
    expect(Array.from(tiesMerge([a, b, c], 0.5))).toEqual([4, -3, 0, 0]);
  });

  it('TIES with density 1 and agreeing signs equals the mean', () => {
    const a = f([1, 2, -3]);
    const b = f([3, 4, -1]);
    expect(Array.from(tiesMerge([a, b], 1))).toEqual(Array.from(linearMerge([a, b])));
    expect(() => tiesMerge([a], 0)).toThrow(RangeError);
  });
});
