// Writes a dataset folder: <out>/<domain>/train.jsonl and heldout.jsonl (chat JSONL), plus data_card.json and
// data_card.md for every domain in it. Each file is written atomically.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { type DomainCard, dataCardMarkdown, domainCard } from './data-card.ts';
import type { DomainData } from './generate.ts';
import type { ImportResult } from './import.ts';

export const TRAIN_FILE = 'train.jsonl';
export const HELDOUT_FILE = 'heldout.jsonl';
export const DATA_CARD_JSON = 'data_card.json';
export const DATA_CARD_MD = 'data_card.md';
export const DATA_CARD_VERSION = 1;

export interface DatasetCard {
  readonly schemaVersion: number;
  readonly seed: number | null;
  readonly domains: DomainCard[];
}

const jsonl = (rows: readonly unknown[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** Paths of one domain's files. */
export function domainFiles(out: string, domain: string): { train: string; heldout: string } {
  return { train: join(out, domain, TRAIN_FILE), heldout: join(out, domain, HELDOUT_FILE) };
}

/** Writes generated data and its cards; returns the cards. */
export async function writeGenerated(
  out: string,
  data: readonly DomainData[],
  seed: number,
  countTokens?: (text: string) => number,
): Promise<DatasetCard> {
  const cards: DomainCard[] = [];
  for (const d of data) {
    const files = domainFiles(out, d.domain.name);
    mkdirSync(join(out, d.domain.name), { recursive: true });
    await writeFileAtomic(files.train, jsonl(d.train.map(({ situation: _, ...rest }) => rest)));
    await writeFileAtomic(files.heldout, jsonl(d.heldout.map(({ situation: _, ...rest }) => rest)));
    cards.push(
      domainCard({
        domain: d.domain.name,
        category: d.domain.category,
        source: 'generated',
        train: d.train,
        heldout: d.heldout,
        generated: d.generated,
        nearDuplicates: d.nearDuplicates,
        heldoutSituations: d.heldoutSituations,
        rejected: d.rejected,
        countTokens,
      }),
    );
  }
  return writeCards(out, { schemaVersion: DATA_CARD_VERSION, seed, domains: cards });
}

/** Every 10th accepted imported sample goes to the held-out split. */
export const IMPORT_HELDOUT_EVERY = 10;

/** Writes imported data for one domain and its card. */
export async function writeImported(
  out: string,
  domain: string,
  category: string | null,
  result: ImportResult,
  countTokens?: (text: string) => number,
): Promise<DatasetCard> {
  const files = domainFiles(out, domain);
  mkdirSync(join(out, domain), { recursive: true });
  const rows = result.accepted.map((s) => ({ messages: s.messages, domain, ...(category ? { category } : {}) }));
  const heldout = rows.filter((_, i) => i % IMPORT_HELDOUT_EVERY === IMPORT_HELDOUT_EVERY - 1);
  const train = rows.filter((_, i) => i % IMPORT_HELDOUT_EVERY !== IMPORT_HELDOUT_EVERY - 1);
  await writeFileAtomic(files.train, jsonl(train));
  await writeFileAtomic(files.heldout, jsonl(heldout));
  const card = domainCard({
    domain,
    category,
    source: 'imported',
    train,
    heldout,
    generated: result.accepted.length + result.nearDuplicates,
    nearDuplicates: result.nearDuplicates,
    heldoutSituations: [],
    rejected: result.rejected.map((r) => ({ index: r.line, reason: r.reason })),
    countTokens,
  });
  return writeCards(out, { schemaVersion: DATA_CARD_VERSION, seed: null, domains: [card] });
}

async function writeCards(out: string, card: DatasetCard): Promise<DatasetCard> {
  await writeFileAtomic(join(out, DATA_CARD_JSON), `${JSON.stringify(card, null, 2)}\n`);
  await writeFileAtomic(join(out, DATA_CARD_MD), dataCardMarkdown(card.domains));
  return card;
}
