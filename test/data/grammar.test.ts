import { describe, expect, it } from 'vitest';
import { expandAlternatives, fillSlots, lowerFirst, realize, tidy } from '../../src/data/grammar.ts';
import { Rng } from '../../src/util/random.ts';

describe('generator grammar', () => {
  it('expands nested alternatives, empty ones included, and reaches every option', () => {
    const rng = new Rng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) seen.add(expandAlternatives(rng, 'a[b|c[d|e]|]f'));
    expect([...seen].sort()).toEqual(['abf', 'acdf', 'acef', 'af']);
  });

  it('fills slots from strings and arrays and leaves unknown slots for the degenerate-sample check', () => {
    const rng = new Rng(2);
    expect(fillSlots(rng, 'my {who} and {what}', { who: 'sister' })).toBe('my sister and {what}');
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(fillSlots(rng, '{x}', { x: ['p', 'q'] }));
    expect(seen).toEqual(new Set(['p', 'q']));
  });

  it('tidies spacing and capitalises sentences', () => {
    expect(tidy('  hello ,  world .  this is   it ?')).toBe('Hello, world. This is it?');
    expect(realize(new Rng(3), '[ok] so {x}.', { x: 'fine' })).toBe('Ok so fine.');
    expect(lowerFirst('Try this.')).toBe('try this.');
    expect(lowerFirst('I think so.')).toBe('I think so.');
    expect(lowerFirst('CBT helps.')).toBe('CBT helps.');
  });

  it('is deterministic for a seed', () => {
    const text = '[a|b|c] [d|e|f] [g|h|i] {x}';
    const run = (seed: number) =>
      Array.from({ length: 20 }, (_, i) => realize(new Rng(seed + i), text, { x: ['1', '2'] }));
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
