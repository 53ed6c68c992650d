import type { Command } from 'commander';
import { domainByName, resolveDomains } from '../data/catalog.ts';
import { type DatasetCard, writeGenerated, writeImported } from '../data/dataset.ts';
import { type DomainData, generate } from '../data/generate.ts';
import { IMPORT_FORMATS, type ImportFormat, importChatData } from '../data/import.ts';
import { rewriteWithTeacher } from '../data/teacher.ts';
import { InputError } from '../errors.ts';
import { Tokenizer } from '../model/tokenizer/tokenizer.ts';
import { startProgress } from '../util/progress.ts';
import { choice, parseIntOption, printJson } from './shared.ts';

interface DataOptions {
  domains: string;
  samples: number;
  heldout?: number;
  seed: number;
  out: string;
  model?: string;
  import?: string;
  format: ImportFormat | 'auto';
  domain?: string;
  teacher?: string;
  threads?: number;
  json?: boolean;
}

export function registerData(program: Command): void {
  program
    .command('data')
    .description('generate empathetic domain conversations (or import chat data) as chat JSONL with a data card')
    .requiredOption('--out <dir>', 'output folder: <dir>/<domain>/{train,heldout}.jsonl, data_card.{json,md}')
    .option('--domains <list>', 'all, category:NAME, or a comma list of domains', 'all')
    .option('--samples <n>', 'training samples per domain', parseIntOption, 300)
    .option('--heldout <n>', 'held-out samples per domain (default: 10% of --samples, at least 20)', parseIntOption)
    .option('--seed <n>', 'random seed; the same seed gives the same data', parseIntOption, 0)
    .option('--model <gguf>', "count tokens with this model's tokenizer (default: count words)")
    .option('--import <file>', 'import a chat JSONL file instead of generating')
    .option('--format <format>', 'import format', choice(['auto', ...IMPORT_FORMATS]), 'auto')
    .option('--domain <name>', 'the domain imported data belongs to (with --import)')
    .option('--teacher <gguf>', 'rewrite every templated reply with this model through llama.cpp (slow; optional)')
    .option('--threads <n>', 'threads for --teacher (default: all cores)', parseIntOption)
    .option('--json', 'print the data card as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  npx meetara data --domains healthcare,mental_health --samples 300 --out data/\n' +
        '  npx meetara data --import chats.jsonl --domain mental_health --out data/',
    )
    .action(async (o: DataOptions) => {
      const countTokens = o.model ? tokenCounter(o.model) : undefined;
      const card = o.import ? await importData(o, countTokens) : await generateData(o, countTokens);
      if (o.json) printJson(card);
      else {
        for (const d of card.domains) {
          process.stderr.write(
            `${d.domain}: ${d.train} train + ${d.heldout} held-out, distinct-2 ${d.distinct2.toFixed(3)}, ` +
              `${d.rejected.length} rejected\n`,
          );
        }
        process.stderr.write(`data card: ${o.out}/data_card.md\n`);
      }
    });
}

async function generateData(o: DataOptions, countTokens?: (t: string) => number): Promise<DatasetCard> {
  if (o.samples <= 0) throw new InputError(`--samples must be a positive integer, got ${o.samples}`);
  if (o.heldout !== undefined && o.heldout < 0) throw new InputError(`--heldout must be 0 or more, got ${o.heldout}`);
  const domains = resolveDomains(o.domains);
  const progress = startProgress({ label: 'generate', total: domains.length, unit: 'domains' });
  const data = domains.map((name, i) => {
    const [d] = generate({ domains: [name], samplesPerDomain: o.samples, heldoutPerDomain: o.heldout, seed: o.seed });
    progress.update(i + 1, name);
    return d as DomainData;
  });
  progress.stop();
  const final = o.teacher ? await withTeacher(data, o.teacher, o) : data;
  return writeGenerated(o.out, final, o.seed, countTokens);
}

/** Rewrites every domain's replies with the teacher; rejected rewrites keep the templated reply and are listed. */
async function withTeacher(data: DomainData[], teacher: string, o: DataOptions): Promise<DomainData[]> {
  const out: DomainData[] = [];
  for (const d of data) {
    const referral = () => d.domain.crisis_referral;
    const progress = startProgress({ label: `teacher ${d.domain.name}`, total: d.train.length + d.heldout.length });
    const options = { model: teacher, threads: o.threads, seed: o.seed };
    const train = await rewriteWithTeacher(d.train, referral, { ...options, onSample: (n) => progress.update(n) });
    const heldout = await rewriteWithTeacher(d.heldout, referral, {
      ...options,
      onSample: (n) => progress.update(d.train.length + n),
    });
    progress.stop();
    const rejected = [
      ...d.rejected,
      ...train.rejected.map((r) => ({ index: r.index, reason: `teacher (train sample ${r.index}): ${r.reason}` })),
      ...heldout.rejected.map((r) => ({ index: r.index, reason: `teacher (held-out sample ${r.index}): ${r.reason}` })),
    ];
    out.push({ ...d, train: train.samples, heldout: heldout.samples, rejected });
  }
  return out;
}

async function importData(o: DataOptions, countTokens?: (t: string) => number): Promise<DatasetCard> {
  if (!o.domain) throw new InputError('--import needs --domain NAME (the domain this data belongs to)');
  const domain = domainByName(o.domain);
  const result = await importChatData(o.import as string, o.format, domain.system_prompt);
  for (const r of result.rejected) process.stderr.write(`${o.import}:${r.line}: rejected: ${r.reason}\n`);
  process.stderr.write(
    `${o.import}: ${result.format}, ${result.accepted.length} accepted, ${result.rejected.length} rejected\n`,
  );
  return writeImported(o.out, domain.name, domain.category, result, countTokens);
}

function tokenCounter(model: string): (text: string) => number {
  const tok = Tokenizer.fromGgufFile(model);
  return (text) => tok.tokenize(text, { addSpecial: false, parseSpecial: false }).length;
}
