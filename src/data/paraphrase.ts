// Synonym replacement for generated replies (EDA-style augmentation, Wei & Zou 2019), limited to a curated table
// of phrase swaps that keep the grammar in any context they match. Each match is swapped with probability
// SWAP_PROBABILITY, so the same advice reads differently across samples without changing what it says.

import type { Rng } from '../util/random.ts';
import { pick } from './grammar.ts';

/** Interchangeable phrases: any member of a group may replace any other where it matches as whole words. */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  // Phrases.
  ['a few', 'a couple of', 'several'],
  ['talk to', 'speak with', 'talk with'],
  ['right away', 'straight away', 'immediately', 'promptly'],
  ['instead of', 'rather than'],
  ['try to', 'aim to', 'make an effort to'],
  ['think about', 'reflect on', 'consider'],
  ['write down', 'jot down', 'note down'],
  ['look for', 'seek out', 'search for'],
  ['keep track of', 'keep tabs on'],
  ['set aside', 'block out'],
  ['make sure to', 'be sure to', 'remember to'],
  ['make sure you', 'be sure you', 'ensure you'],
  ['start by', 'begin by'],
  ['start with', 'begin with'],
  ['every day', 'each day'],
  ['each week', 'every week'],
  ['need to', 'have to'],
  ['can help', 'may help', 'can really help'],
  ['it can help to', 'it may help to', 'it often helps to', "it's worth trying to"],
  ['so you can', 'so that you can'],
  ['find out', 'figure out'],
  ['a lot of', 'plenty of', 'lots of'],
  ['a lot', 'a great deal'],
  ['right now', 'at the moment'],
  ['focus on', 'concentrate on', 'zero in on'],
  ['break it into', 'split it into', 'divide it into'],
  ['reach out to', 'get in touch with'],
  ['cut down on', 'reduce'],
  ['steer clear of', 'avoid'],
  ['talk through', 'discuss'],
  ['for example', 'for instance'],
  ['such as', 'including'],
  ['as well as', 'along with'],
  ['in advance', 'ahead of time', 'beforehand'],
  ['at first', 'initially'],
  ['over time', 'with time'],
  ['if possible', 'where possible'],
  ['in person', 'face to face'],
  ['each time', 'every time'],
  ['a good idea', 'a smart move'],
  ['a good way', 'an effective way'],
  ['take a break', 'take a breather'],
  ['as soon as possible', 'as soon as you can'],
  ["don't", 'do not'],
  ["can't", 'cannot'],
  ["won't", 'will not'],
  ["doesn't", 'does not'],
  ["isn't", 'is not'],
  // Words whose part of speech is the same wherever they appear in replies.
  ['maybe', 'perhaps'],
  ['helpful', 'useful', 'valuable'],
  ['important', 'essential', 'crucial'],
  ['usually', 'typically', 'generally'],
  ['often', 'frequently', 'commonly'],
  ['small', 'modest'],
  ['regular', 'consistent', 'steady'],
  ['simple', 'straightforward'],
  ['honest', 'candid'],
  ['gently', 'kindly', 'calmly'],
  ['easier', 'simpler'],
  ['really', 'truly', 'genuinely'],
  ['quickly', 'fast', 'swiftly'],
  ['carefully', 'thoughtfully', 'with care'],
  ['clearly', 'plainly'],
  ['tough', 'difficult'],
  ['explain', 'describe'],
  ['choose', 'pick'],
  ['improve', 'strengthen', 'boost'],
  ['encourage', 'motivate'],
  ['suggest', 'recommend'],
  ['especially', 'particularly'],
  ['gradually', 'slowly', 'step by step'],
  ['regularly', 'routinely', 'consistently'],
  ['sometimes', 'at times', 'occasionally'],
  ['realistic', 'achievable', 'doable'],
  ['extra', 'additional'],
  ['whole', 'entire'],
  ['careful', 'cautious'],
  ['huge', 'enormous', 'massive'],
  ['reliable', 'dependable', 'trustworthy'],
  ['supportive', 'encouraging'],
  ['tips', 'pointers'],
  ['chance', 'opportunity'],
  ['conversation', 'discussion'],
  ['details', 'specifics'],
];

export const SWAP_PROBABILITY = 0.75;

const lookup = new Map<string, readonly string[]>();
for (const group of SYNONYM_GROUPS) for (const phrase of group) lookup.set(phrase, group);
const escaped = [...lookup.keys()]
  .sort((a, b) => b.length - a.length)
  .map((p) => p.replace(/[.*+?^${}()|[\]\\']/g, '\\$&'));
const PATTERN = new RegExp(`\\b(${escaped.join('|')})\\b`, 'gi');

/** Marks where a swap happened, so a/an agreement is fixed only there and catalog text is left as written. */
const SWAPPED = '\u0001';

/** Swaps table phrases for synonyms (longest match first), keeping a capital first letter and a/an agreement. */
export function paraphrase(rng: Rng, text: string): string {
  const swapped = text.replace(PATTERN, (match: string) => {
    if (rng.uniform() >= SWAP_PROBABILITY) return match;
    const alternatives = (lookup.get(match.toLowerCase()) ?? []).filter((p) => p !== match.toLowerCase());
    if (alternatives.length === 0) return match;
    const next = pick(rng, alternatives);
    return SWAPPED + (/^[A-Z]/.test(match) ? next[0]?.toUpperCase() + next.slice(1) : next);
  });
  return swapped
    .replace(new RegExp(`\\b([Aa]n?) ${SWAPPED}([a-z])`, 'g'), (_, article: string, first: string) => {
      const wanted = /[aeio]/.test(first) ? 'an' : 'a'; // the table's only u-word is "useful"
      return `${article[0] === 'A' ? wanted[0]?.toUpperCase() + wanted.slice(1) : wanted} ${first}`;
    })
    .replaceAll(SWAPPED, '');
}
