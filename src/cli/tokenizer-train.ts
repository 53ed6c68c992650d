import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../errors.ts';
import { MIN_TRAINED_VOCAB, trainTokenizer, writeTokenizerGguf } from '../model/tokenizer-train.ts';
import { startProgress } from '../util/progress.ts';
import { parseFloatOption, parseIntOption, printJson } from './shared.ts';

function readCorpusFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read corpus file '${file}': ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** The texts of one corpus file: a `.jsonl` file gives every message's content, any other file its whole text. */
function* corpusTexts(file: string, text: string): Generator<string> {
  if (!file.toLowerCase().endsWith('.jsonl')) {
    yield text;
    return;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let sample: unknown;
    try {
      sample = JSON.parse(raw);
    } catch (err) {
      throw new InputError(`${file} line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    const messages = (sample as { messages?: unknown })?.messages;
    if (!Array.isArray(messages) || !messages.every((m) => typeof m?.content === 'string')) {
      throw new InputError(
        `${file} line ${i + 1}: expected {"messages":[{"role":...,"content":"..."}, ...]} with string contents`,
      );
    }
    for (const m of messages) yield m.content as string;
  }
}

interface Options {
  corpus: string[];
  vocab: number;
  out: string;
  minCharCount: number;
  charCoverage: number;
  name?: string;
  json?: boolean;
}

export function registerTokenizerTrain(program: Command): void {
  program
    .command('tokenizer-train')
    .description(
      'train a byte-fallback BPE tokenizer and write it as a vocabulary-only GGUF (SPM-style llama vocabulary, ChatML specials)',
    )
    .requiredOption('--corpus <files...>', 'text files, or chat JSONL files (.jsonl: every message content)')
    .requiredOption(
      '--vocab <n>',
      `vocabulary size, specials and byte tokens included (at least ${MIN_TRAINED_VOCAB})`,
      parseIntOption,
    )
    .requiredOption('--out <file>', 'output GGUF (tokenizer metadata only; use with init-model --vocab-from)')
    .option('--min-char-count <n>', 'characters seen fewer times fall back to byte tokens', parseIntOption, 2)
    .option(
      '--char-coverage <x>',
      'single characters kept as tokens cover this share of the text; rarer ones fall back to bytes',
      parseFloatOption,
      0.9995,
    )
    .option('--name <name>', 'general.name of the output', 'meetara-tokenizer')
    .option('--json', 'print a summary as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  npx meetara tokenizer-train --corpus data/*.jsonl notes.txt --vocab 4096 --out tokenizer.gguf\n  npx meetara init-model --vocab-from tokenizer.gguf --dim 256 --layers 4 --heads 8 --ffn 768 --out tiny.gguf',
    )
    .action(async (o: Options) => {
      const started = performance.now();
      const sizes = new Map<string, number>();
      for (const f of o.corpus) {
        try {
          sizes.set(f, statSync(f).size);
        } catch (err) {
          throw new InputError(`cannot read corpus file '${f}': ${(err as NodeJS.ErrnoException).code ?? err}`);
        }
      }
      const bytes = [...sizes.values()].reduce((a, b) => a + b, 0);
      // Progress in bytes: whole files as they finish, and within a file the share of its text read so far.
      const reading = startProgress({ label: 'reading corpus', total: bytes, unit: 'MB', scale: 1e6 });
      let texts = 0;
      let bytesBefore = 0;
      let file = { start: 0, length: 1, bytes: 0 };
      function* all(): Generator<string> {
        for (const f of o.corpus) {
          const text = readCorpusFile(f);
          file = { start: read, length: Math.max(text.length, 1), bytes: sizes.get(f) ?? 0 };
          for (const t of corpusTexts(f, text)) {
            texts++;
            yield t;
          }
          bytesBefore += file.bytes;
          reading.update(bytesBefore);
        }
        reading.stop();
      }
      let read = 0;
      let merging: ReturnType<typeof startProgress> | undefined;
      const vocab = trainTokenizer(all(), {
        vocabSize: o.vocab,
        minCharCount: o.minCharCount,
        charCoverage: o.charCoverage,
        onRead: (chars) => {
          read = chars;
          reading.update(bytesBefore + Math.min((chars - file.start) / file.length, 1) * file.bytes);
        },
        onMerge: (n, total) => {
          merging ??= startProgress({ label: 'merging', total, unit: 'tokens' });
          merging.update(n);
        },
      });
      merging?.stop();
      if (vocab.stats.chars === 0) throw new InputError(`the corpus (${o.corpus.join(', ')}) has no text`);
      await writeTokenizerGguf(o.out, vocab, o.name);
      const seconds = (performance.now() - started) / 1000;
      const summary = {
        out: o.out,
        vocabSize: vocab.tokens.length,
        merges: vocab.stats.merges,
        mergedTokens: vocab.stats.mergedTokens,
        baseChars: vocab.stats.baseChars,
        byteFallbackChars: vocab.stats.byteFallbackChars,
        unused: vocab.stats.unused,
        corpusFiles: o.corpus.length,
        corpusBytes: bytes,
        corpusTexts: texts,
        corpusChars: vocab.stats.chars,
        words: vocab.stats.words,
        uniqueWords: vocab.stats.uniqueWords,
        seconds: Number(seconds.toFixed(3)),
      };
      if (o.json) printJson(summary);
      else {
        process.stderr.write(
          `wrote ${o.out}: ${summary.vocabSize} tokens (${summary.mergedTokens} merged, ${summary.baseChars} characters, ${summary.unused} unused) from ${summary.corpusBytes} bytes in ${summary.seconds} s\n`,
        );
      }
    });
}
