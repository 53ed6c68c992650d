// A tiny text grammar for the generator: `[a|b|c]` picks one alternative (alternatives may nest and may be empty),
// and `{slot}` is replaced from a table of fillers. Everything draws from one seeded Rng, so output is reproducible.

import type { Rng } from '../util/random.ts';

export type Fillers = Readonly<Record<string, string | readonly string[]>>;

/** A uniformly chosen element. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)] as T;
}

/** Expands `[a|b]` alternatives, innermost first. */
export function expandAlternatives(rng: Rng, text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(/\[([^[\]]*)\]/g, (_, body: string) => pick(rng, body.split('|')));
    if (next === out) return out;
    out = next;
  }
}

/** Fills `{slot}`s; an array filler is picked at random per occurrence. Unknown slots are left as they are. */
export function fillSlots(rng: Rng, text: string, fillers: Fillers): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const f = fillers[name];
    if (f === undefined) return whole;
    return typeof f === 'string' ? f : pick(rng, f);
  });
}

/** Alternatives, then slots (twice, so fillers may themselves contain slots), then tidy spacing and punctuation. */
export function realize(rng: Rng, text: string, fillers: Fillers): string {
  const filled = fillSlots(rng, fillSlots(rng, expandAlternatives(rng, text), fillers), fillers);
  return tidy(filled);
}

/** Collapses doubled spaces, removes spaces before punctuation and capitalises each sentence. */
export function tidy(text: string): string {
  const s = text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;:?!])/g, '$1')
    .replace(/([,;:])(?=[,.;:?!])/g, '')
    .trim();
  return s.replace(/(^|[.?!]\s+)([a-z])/g, (_, pre: string, c: string) => pre + c.toUpperCase());
}

/** Lower-cases a sentence's first letter when it starts an ordinary word, so it can follow a lead-in. */
export function lowerFirst(sentence: string): string {
  return /^[A-Z][a-z]/.test(sentence) && !/^I\b/.test(sentence)
    ? sentence[0]?.toLowerCase() + sentence.slice(1)
    : sentence;
}
