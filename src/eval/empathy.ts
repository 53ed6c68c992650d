// How often a model's replies carry the empathy strategies the training data teaches. The marker lexicon is derived
// from the data engine's own phrase tables (STRATEGY_PHRASES, EMOTION_ACKNOWLEDGEMENTS and CRISIS_PHRASES), so it
// matches what the generator writes:
//   1. every template's `[a|b|c]` alternatives are expanded;
//   2. its fixed wording around the `{slot}`s is kept, lower-cased (the slots are the situation's own words);
//   3. that wording is split into clauses at punctuation (, ; : . ! ? —) and each clause of at least 3 words is a
//      marker (a leading and/but/or/so does not count towards the 3);
//   4. each marker also stands in every wording the generator's paraphraser can turn it into (SYNONYM_GROUPS), since
//      replies are paraphrased after they are composed ("really hard" → "genuinely hard", "isn't" → "is not").
// Matching is case-insensitive on whole words; where markers overlap, the leftmost (then longest) one is counted.

import { SYNONYM_GROUPS } from '../data/paraphrase.ts';
import { CRISIS_PHRASES, EMOTION_ACKNOWLEDGEMENTS, STRATEGY_PHRASES } from '../data/phrases.ts';
import type { ChatMessage } from '../model/chat-template.ts';
import { greedyChatReplies } from './chat.ts';
import type { LoraSpec } from './llama.ts';

/** All expansions of a template's `[a|b|c]` alternatives (nested ones included), slots left as they are. */
export function expandTemplate(template: string): string[] {
  const m = /\[([^[\]]*)\]/.exec(template);
  if (!m) return [template];
  const before = template.slice(0, m.index);
  const after = template.slice(m.index + m[0].length);
  return [...new Set((m[1] as string).split('|').flatMap((alt) => expandTemplate(before + alt + after)))];
}

/** Words: letters and digits, joined by an apostrophe or hyphen ("you're", "self-assured"). */
const WORD = /[\p{L}\p{N}_]+(?:['’-][\p{L}\p{N}_]+)*/gu;

const SLOT = /\{[a-z_]+\}/;

/**
 * Words a marker needs (chosen by measurement). With 2, clauses like "talk with" and "this week" became markers and 7.2% of the catalog's
 * plain advice and user sentences had one; with 3 it is 1.4%, while 279 of 280 generated first replies (4 domains)
 * still do.
 */
const MIN_MARKER_WORDS = 3;

const CONJUNCTIONS = new Set(['and', 'but', 'or', 'so']);

const enoughWords = (words: readonly string[]): boolean =>
  words.length - (CONJUNCTIONS.has(words[0] as string) ? 1 : 0) >= MIN_MARKER_WORDS;

/** Steps 2 and 3 above for one expanded template; a marker is its words joined by single spaces. */
function fixedClauses(template: string): string[] {
  return template.split(SLOT).flatMap((fixed) =>
    fixed
      .toLowerCase()
      .replace(/’/g, "'")
      .split(/[,;:.!?—]+/)
      .map((clause) => [...clause.matchAll(WORD)].map((m) => m[0]))
      .filter(enoughWords)
      .map((words) => words.join(' ')),
  );
}

const synonymsOf = new Map<string, readonly string[]>();
for (const group of SYNONYM_GROUPS) for (const phrase of group) synonymsOf.set(phrase, group);
const SYNONYM_PATTERN = new RegExp(
  `\\b(${[...synonymsOf.keys()]
    .sort((a, b) => b.length - a.length)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|')})\\b`,
  'g',
);

/** Where a swap happened, so the article is fixed only before a swapped word, as the paraphraser does. */
const SWAPPED = '\u0001';

/** Step 4: the marker in every wording the paraphraser can give it. */
function paraphraseVariants(marker: string): string[] {
  let variants = [''];
  let at = 0;
  for (const m of marker.matchAll(SYNONYM_PATTERN)) {
    const literal = marker.slice(at, m.index);
    const options = synonymsOf.get(m[0]) as readonly string[];
    variants = variants.flatMap((v) => options.map((o) => v + literal + (o === m[0] ? o : SWAPPED + o)));
    at = (m.index as number) + m[0].length;
  }
  return variants.map((v) =>
    (v + marker.slice(at))
      .replace(new RegExp(`\\b(an?) ${SWAPPED}([a-z])`, 'g'), (_, _article: string, first: string) =>
        /[aeio]/.test(first) ? `an ${first}` : `a ${first}`,
      )
      .replaceAll(SWAPPED, ''),
  );
}

/** Template tables by strategy: every wording the generator says as that strategy. */
function phraseTables(): [string, readonly string[]][] {
  const tables: [string, readonly string[]][] = [];
  for (const byStrategy of Object.values(STRATEGY_PHRASES)) {
    for (const [strategy, templates] of Object.entries(byStrategy)) tables.push([strategy, templates ?? []]);
  }
  for (const templates of Object.values(EMOTION_ACKNOWLEDGEMENTS)) tables.push(['acknowledge', templates]);
  // Crisis replies: the generator says their follow-ups as referrals.
  for (const [key, templates] of Object.entries(CRISIS_PHRASES)) {
    tables.push([key === 'followup' ? 'referral' : key, templates]);
  }
  return tables;
}

function buildMarkers(): Readonly<Record<string, readonly string[]>> {
  const byStrategy = new Map<string, Set<string>>();
  for (const [strategy, templates] of phraseTables()) {
    const set = byStrategy.get(strategy) ?? new Set<string>();
    byStrategy.set(strategy, set);
    for (const template of templates) {
      for (const expanded of expandTemplate(template)) {
        for (const clause of fixedClauses(expanded)) {
          // A variant is held to the same length rule ("is not easy" → "isn't easy" is too short to count).
          for (const v of paraphraseVariants(clause)) if (enoughWords(v.split(' '))) set.add(v);
        }
      }
    }
  }
  return Object.freeze(
    Object.fromEntries(
      [...byStrategy].filter(([, set]) => set.size > 0).map(([s, set]) => [s, Object.freeze([...set].sort())]),
    ),
  );
}

/** Marker phrases (lower case) by empathy strategy, derived from the generator's phrase tables. */
export const EMPATHY_MARKERS: Readonly<Record<string, readonly string[]>> = buildMarkers();

/** A marker's strategies (a phrase two strategies share, like "it sounds like", counts for both). */
const strategiesOf = new Map<string, string[]>();
for (const [strategy, markers] of Object.entries(EMPATHY_MARKERS)) {
  for (const m of markers) strategiesOf.set(m, [...(strategiesOf.get(m) ?? []), strategy]);
}

interface TrieNode {
  readonly next: Map<string, TrieNode>;
  marker?: string;
}

/** The lexicon as a trie over words, for a longest-match scan. */
const TRIE: TrieNode = { next: new Map() };
for (const marker of strategiesOf.keys()) {
  let node = TRIE;
  for (const [word] of marker.matchAll(WORD)) {
    const child: TrieNode = node.next.get(word) ?? { next: new Map() };
    node.next.set(word, child);
    node = child;
  }
  node.marker = marker;
}

/**
 * The empathy markers in a text, in order of appearance (one entry per strategy of each marker found). A marker
 * matches whole words, case-insensitively, with only whitespace between its words; at each word the longest marker
 * starting there is taken, and the scan goes on after it.
 */
export function findMarkers(text: string): { strategy: string; marker: string }[] {
  const words = [...text.matchAll(WORD)].map((m) => ({
    word: m[0].toLowerCase().replace(/’/g, "'"),
    start: m.index as number,
    end: (m.index as number) + m[0].length,
  }));
  const found: { strategy: string; marker: string }[] = [];
  for (let i = 0; i < words.length; ) {
    let node: TrieNode | undefined = TRIE;
    let longest: { marker: string; next: number } | undefined;
    for (let j = i; j < words.length; j++) {
      const w = words[j] as (typeof words)[number];
      if (j > i && !/^\s+$/.test(text.slice((words[j - 1] as (typeof words)[number]).end, w.start))) break;
      node = node.next.get(w.word);
      if (!node) break;
      if (node.marker) longest = { marker: node.marker, next: j + 1 };
    }
    if (!longest) {
      i++;
      continue;
    }
    for (const strategy of strategiesOf.get(longest.marker) ?? []) found.push({ strategy, marker: longest.marker });
    i = longest.next;
  }
  return found;
}

export interface EmpathyScore {
  readonly replies: number;
  /** Replies with at least one marker. */
  readonly withMarker: number;
  /** Share of replies with at least one marker (0..1). */
  readonly rate: number;
  /** Mean number of findMarkers entries per reply. */
  readonly markersPerReply: number;
  /** Replies containing each strategy, by strategy (every strategy of the lexicon appears, 0 when none did). */
  readonly byStrategy: Record<string, number>;
}

export function scoreEmpathy(replies: readonly string[]): EmpathyScore {
  const byStrategy: Record<string, number> = Object.fromEntries(Object.keys(EMPATHY_MARKERS).map((s) => [s, 0]));
  let withMarker = 0;
  let markers = 0;
  for (const reply of replies) {
    const found = findMarkers(reply);
    markers += found.length;
    if (found.length > 0) withMarker++;
    for (const s of new Set(found.map((f) => f.strategy))) byStrategy[s] = (byStrategy[s] ?? 0) + 1;
  }
  const n = replies.length;
  return {
    replies: n,
    withMarker,
    rate: n === 0 ? 0 : withMarker / n,
    markersPerReply: n === 0 ? 0 : markers / n,
    byStrategy,
  };
}

export interface EmpathyOptions {
  readonly lora?: LoraSpec[];
  readonly threads?: number;
  /** Most tokens per reply (default 96). */
  readonly maxTokens?: number;
}

/** Greedy replies of a model to the prompts, scored; `samples` shows the first 3 prompts with their replies. */
export async function measureEmpathy(
  modelPath: string,
  prompts: readonly (readonly ChatMessage[])[],
  o: EmpathyOptions = {},
): Promise<EmpathyScore & { samples: { prompt: string; reply: string }[] }> {
  const replies = await greedyChatReplies(modelPath, prompts, {
    maxTokens: o.maxTokens ?? 96,
    threads: o.threads,
    lora: o.lora,
  });
  const texts = replies.map((r) => r.text);
  return {
    ...scoreEmpathy(texts),
    samples: prompts.slice(0, 3).map((messages, i) => ({
      prompt: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '',
      reply: texts[i] as string,
    })),
  };
}
