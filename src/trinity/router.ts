// The domain router of the universal pack: TF-IDF over each domain's catalog keywords, vocabulary and description
// (plus its training user turns, when given), cosine similarity against a user message, highest score wins.
// router.json holds everything needed to route without this library: the word weights per domain and the IDF.

import { z } from 'zod';
import { words } from '../data/metrics.ts';

export const RouterSchema = z.object({
  schemaVersion: z.literal(1),
  method: z.literal('tfidf-cosine'),
  /** How text becomes terms: lower-case words of letters, digits and apostrophes, and their adjacent pairs. */
  tokenizer: z.literal('lowercase-words+bigrams'),
  idf: z.record(z.string(), z.number()),
  domains: z.array(z.object({ name: z.string(), weights: z.record(z.string(), z.number()) })),
  /** Routing accuracy on held-out user turns, measured when the router was built. */
  accuracy: z.object({ correct: z.number(), total: z.number(), rate: z.number() }).nullable(),
});
export type Router = z.infer<typeof RouterSchema>;

/** Terms of a text: its words and adjacent word pairs ("blood pressure" matters more than "blood"). */
export function terms(text: string): string[] {
  const w = words(text);
  const out = [...w];
  for (let i = 0; i + 1 < w.length; i++) out.push(`${w[i]} ${w[i + 1]}`);
  return out;
}

function counts(texts: readonly string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const t of texts) for (const term of terms(t)) c.set(term, (c.get(term) ?? 0) + 1);
  return c;
}

/** Builds the router from each domain's texts (keywords, vocabulary, description, example user turns). */
export function buildRouter(docs: readonly { name: string; texts: readonly string[] }[]): Router {
  const perDomain = docs.map((d) => ({ name: d.name, counts: counts(d.texts) }));
  const df = new Map<string, number>();
  for (const d of perDomain) for (const term of d.counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  const idf: Record<string, number> = {};
  for (const [term, n] of df) idf[term] = Math.log((1 + docs.length) / (1 + n)) + 1;
  const domains = perDomain.map((d) => {
    const weights: Record<string, number> = {};
    let norm = 0;
    for (const [term, c] of d.counts) {
      const w = (1 + Math.log(c)) * (idf[term] as number);
      weights[term] = w;
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const term of Object.keys(weights)) weights[term] = (weights[term] as number) / norm;
    return { name: d.name, weights };
  });
  return {
    schemaVersion: 1,
    method: 'tfidf-cosine',
    tokenizer: 'lowercase-words+bigrams',
    idf,
    domains,
    accuracy: null,
  };
}

/** The best domain for a message and every domain's cosine score. */
export function route(router: Router, text: string): { domain: string; scores: Record<string, number> } {
  const c = counts([text]);
  const q = new Map<string, number>();
  let norm = 0;
  for (const [term, n] of c) {
    const idf = router.idf[term];
    if (idf === undefined) continue;
    const w = (1 + Math.log(n)) * idf;
    q.set(term, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm) || 1;
  const scores: Record<string, number> = {};
  let best = router.domains[0]?.name ?? '';
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const d of router.domains) {
    let s = 0;
    for (const [term, w] of q) s += (w / norm) * (d.weights[term] ?? 0);
    scores[d.name] = s;
    if (s > bestScore) [best, bestScore] = [d.name, s];
  }
  return { domain: best, scores };
}

/** Accuracy on labelled messages (held-out user turns). */
export function routingAccuracy(
  router: Router,
  labelled: readonly { text: string; domain: string }[],
): { correct: number; total: number; rate: number } {
  const correct = labelled.filter((l) => route(router, l.text).domain === l.domain).length;
  return { correct, total: labelled.length, rate: labelled.length === 0 ? 0 : correct / labelled.length };
}
