// The data card: what a domain's generated or imported data looks like, measured. Written as data_card.json
// (every domain) and data_card.md (a table for people).

import { distinctN, entropyBits, nearDuplicateRate, words } from './metrics.ts';
import { EMOTIONS, STRATEGIES } from './schema.ts';

export interface CardSample {
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly emotion?: string;
  readonly strategies?: readonly string[];
  readonly crisis?: boolean;
}

export interface DomainCard {
  readonly domain: string;
  readonly category: string | null;
  readonly source: 'generated' | 'imported';
  readonly train: number;
  readonly heldout: number;
  /** Mean tokens (or words, see tokenUnit) per training sample, all turns. */
  readonly tokensPerSample: number;
  readonly tokenUnit: 'tokens' | 'words';
  readonly totalTokens: number;
  /** Over the training split's assistant turns. */
  readonly distinct1: number;
  readonly distinct2: number;
  /** Near-duplicates among the candidates the generator produced (before the filter dropped them). */
  readonly nearDuplicateRate: number;
  /** Near-duplicate share left in the kept training split (0 after the filter). */
  readonly nearDuplicateRateKept: number;
  readonly emotions: number;
  readonly emotionEntropyBits: number;
  /** Share of training samples that use each strategy. */
  readonly strategyCoverage: Record<string, number>;
  readonly strategiesUsed: number;
  readonly crisisShare: number;
  readonly heldoutSituations: number[];
  readonly rejected: { readonly index: number; readonly reason: string }[];
}

export interface CardInput {
  readonly domain: string;
  readonly category: string | null;
  readonly source: 'generated' | 'imported';
  readonly train: readonly CardSample[];
  readonly heldout: readonly CardSample[];
  readonly generated: number;
  readonly nearDuplicates: number;
  readonly heldoutSituations: readonly number[];
  readonly rejected: readonly { readonly index: number; readonly reason: string }[];
  /** Counts tokens with the model's tokenizer; words when absent. */
  readonly countTokens?: (text: string) => number;
}

export function domainCard(input: CardInput): DomainCard {
  const { train } = input;
  const assistant = train.flatMap((s) => s.messages.filter((m) => m.role === 'assistant').map((m) => m.content));
  const count = input.countTokens ?? ((t: string) => words(t).length);
  const totalTokens = train.reduce((sum, s) => sum + s.messages.reduce((n, m) => n + count(m.content), 0), 0);
  const coverage: Record<string, number> = {};
  for (const st of STRATEGIES) {
    coverage[st] = share(train.filter((s) => s.strategies?.includes(st)).length, train.length);
  }
  const emotions = train.flatMap((s) => (s.emotion ? [s.emotion] : []));
  return {
    domain: input.domain,
    category: input.category,
    source: input.source,
    train: train.length,
    heldout: input.heldout.length,
    tokensPerSample: round(share(totalTokens, train.length), 2),
    tokenUnit: input.countTokens ? 'tokens' : 'words',
    totalTokens,
    distinct1: round(distinctN(assistant, 1), 4),
    distinct2: round(distinctN(assistant, 2), 4),
    nearDuplicateRate: round(share(input.nearDuplicates, input.generated), 4),
    nearDuplicateRateKept: round(
      nearDuplicateRate(
        train.map((s) =>
          s.messages
            .filter((m) => m.role !== 'system')
            .map((m) => m.content)
            .join('\n'),
        ),
      ),
      4,
    ),
    emotions: new Set(emotions).size,
    emotionEntropyBits: round(entropyBits(emotions), 4),
    strategyCoverage: coverage,
    strategiesUsed: Object.values(coverage).filter((v) => v > 0).length,
    crisisShare: round(share(train.filter((s) => s.crisis).length, train.length), 4),
    heldoutSituations: [...input.heldoutSituations],
    rejected: [...input.rejected],
  };
}

/** The markdown table of data_card.md. */
export function dataCardMarkdown(cards: readonly DomainCard[]): string {
  const rows = cards.map((c) =>
    [
      c.domain,
      c.source,
      c.train,
      c.heldout,
      `${c.tokensPerSample} ${c.tokenUnit}`,
      c.distinct1.toFixed(3),
      c.distinct2.toFixed(3),
      `${(c.nearDuplicateRate * 100).toFixed(1)}%`,
      `${c.emotions}/${EMOTIONS.length}`,
      c.emotionEntropyBits.toFixed(2),
      `${c.strategiesUsed}/${STRATEGIES.length}`,
      `${(c.crisisShare * 100).toFixed(1)}%`,
      c.rejected.length,
    ].join(' | '),
  );
  return [
    '# Data card',
    '',
    'Measured on the training split; distinct-n over assistant turns; near-duplicates (MinHash over word 5-gram',
    'shingles, Jaccard ≥ 0.8) among all generated candidates, which the filter then dropped.',
    '',
    '| domain | source | train | held-out | per sample | distinct-1 | distinct-2 | near-dup | emotions | entropy (bits) | strategies | crisis | rejected |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
  ].join('\n');
}

function share(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
