// Writes a dataset folder: <out>/<domain>/train.jsonl and heldout.jsonl (chat JSONL), plus data_card.json and
// data_card.md for every domain in it. Each file is written atomically.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic, writeJsonlAtomic } from '../util/atomic-file.ts';
import { type DomainCard, dataCardMarkdown, domainCard } from './data-card.ts';
import type { DomainData, GeneratedMessage } from './generate.ts';
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

/** Paths of one domain's files. */
export function domainFiles(out: string, domain: string): { train: string; heldout: string } {
  return { train: join(out, domain, TRAIN_FILE), heldout: join(out, domain, HELDOUT_FILE) };
}

/**
 * One domain's data in its own folder: `dir/train.jsonl`, `dir/heldout.jsonl` and its card as
 * `dir/data_card.{json,md}` (the layout of a transfer package's domains).
 */
export async function writeDomainDataset(
  dir: string,
  train: readonly unknown[],
  heldout: readonly unknown[],
  card: DomainCard,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeJsonlAtomic(join(dir, TRAIN_FILE), train);
  await writeJsonlAtomic(join(dir, HELDOUT_FILE), heldout);
  await writeCards(dir, { schemaVersion: DATA_CARD_VERSION, seed: null, domains: [card] });
}

/** A generated sample as a JSONL row (without the generator's template index). */
export function sampleRow(s: DomainData['train'][number]): Omit<DomainData['train'][number], 'situation'> {
  const { situation: _, ...row } = s;
  return row;
}

/** The card of a generated domain. */
export function generatedCard(d: DomainData, countTokens?: (text: string) => number): DomainCard {
  return domainCard({
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
  });
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
    await writeJsonlAtomic(files.train, d.train.map(sampleRow));
    await writeJsonlAtomic(files.heldout, d.heldout.map(sampleRow));
    cards.push(generatedCard(d, countTokens));
  }
  return writeCards(out, { schemaVersion: DATA_CARD_VERSION, seed, domains: cards });
}

/** Every 10th accepted imported sample goes to the held-out split. */
export const IMPORT_HELDOUT_EVERY = 10;

/** One imported conversation as a chat JSONL row. */
export interface ImportedRow {
  readonly messages: GeneratedMessage[];
  readonly domain: string;
  readonly category?: string;
}

/** Imported samples as rows, split train/held-out (every 10th to held-out), with their card. */
export function importedDataset(
  domain: string,
  category: string | null,
  result: ImportResult,
  countTokens?: (text: string) => number,
): { train: ImportedRow[]; heldout: ImportedRow[]; card: DomainCard } {
  const rows: ImportedRow[] = result.accepted.map((s) => ({
    messages: s.messages,
    domain,
    ...(category ? { category } : {}),
  }));
  const heldout = rows.filter((_, i) => i % IMPORT_HELDOUT_EVERY === IMPORT_HELDOUT_EVERY - 1);
  const train = rows.filter((_, i) => i % IMPORT_HELDOUT_EVERY !== IMPORT_HELDOUT_EVERY - 1);
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
  return { train, heldout, card };
}

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
  const { train, heldout, card } = importedDataset(domain, category, result, countTokens);
  await writeJsonlAtomic(files.train, train);
  await writeJsonlAtomic(files.heldout, heldout);
  return writeCards(out, { schemaVersion: DATA_CARD_VERSION, seed: null, domains: [card] });
}

export async function writeCards(out: string, card: DatasetCard): Promise<DatasetCard> {
  await writeJsonAtomic(join(out, DATA_CARD_JSON), card);
  await writeFileAtomic(join(out, DATA_CARD_MD), dataCardMarkdown(card.domains));
  return card;
}
