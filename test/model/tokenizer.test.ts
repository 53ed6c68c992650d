// Tokenization identical to llama.cpp, token for token, on a seeded corpus of 2,000+ strings plus tricky cases,
// with and without special-token parsing, for an SPM model (init-model) and byte-level BPE models with the
// llama-bpe, qwen2, gpt-2 and smollm pre-tokenizers. Detokenization is compared with llama.cpp too.

import { join } from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaEngine } from '../../src/eval/llama.ts';
import { initModel } from '../../src/model/init-model.ts';
import { Tokenizer } from '../../src/model/tokenizer/tokenizer.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildCorpus, TRICKY } from './corpus.ts';
import { detokenizeMismatches } from './detokenize-oracle.ts';

const CORPUS = [...TRICKY, ...buildCorpus(2000)];

interface Case {
  readonly name: string;
  readonly tokenizer: 'spm' | 'bpe';
  readonly pre?: string;
  /** Decoding the tokens gives back the text (no clean-up of spaces around punctuation). */
  readonly roundTrips: boolean;
}

const CASES: Case[] = [
  { name: 'spm', tokenizer: 'spm', roundTrips: true },
  { name: 'bpe llama-bpe', tokenizer: 'bpe', pre: 'llama-bpe', roundTrips: false },
  { name: 'bpe qwen2', tokenizer: 'bpe', pre: 'qwen2', roundTrips: true },
  { name: 'bpe gpt-2', tokenizer: 'bpe', pre: 'gpt-2', roundTrips: false },
  { name: 'bpe smollm', tokenizer: 'bpe', pre: 'smollm', roundTrips: true },
];

const dir = tempDir('meetara-tokenizer-');

/** The text as it reaches llama.cpp: lone surrogates become U+FFFD on the way to UTF-8. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

describe.each(CASES)('tokenizer identical to llama.cpp: $name', (c) => {
  let model: LlamaModel;
  let ours: Tokenizer;

  beforeAll(async () => {
    const path = join(dir, `${c.name.replace(/\W+/g, '-')}.gguf`);
    await initModel(path, {
      arch: 'llama',
      vocabSize: 1024,
      dim: 32,
      layers: 1,
      heads: 2,
      ffn: 64,
      contextLength: 128,
      tokenizer: c.tokenizer,
      bpePre: c.pre,
    });
    ours = Tokenizer.fromGgufFile(path);
    model = await (await llamaEngine()).loadModel({ modelPath: path, vocabOnly: true });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it(`tokenizes ${CORPUS.length} strings exactly as llama.cpp, with and without parse_special`, () => {
    const mismatches: unknown[] = [];
    let tokens = 0;
    for (const text of CORPUS) {
      for (const parseSpecial of [true, false]) {
        const expected = Array.from(model.tokenize(text, parseSpecial));
        const got = ours.tokenize(text, { parseSpecial });
        tokens += expected.length;
        if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push({ text, parseSpecial, got, expected });
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(tokens).toBeGreaterThan(CORPUS.length * 4);
  });

  it('adds BOS/EOS exactly where llama.cpp says the model wants them', () => {
    const bos = model.tokens.shouldPrependBosToken ? [model.tokens.bos] : [];
    const eos = model.tokens.shouldAppendEosToken ? [model.tokens.eos] : [];
    expect(ours.vocab.addBos).toBe(model.tokens.shouldPrependBosToken);
    expect(ours.vocab.addEos).toBe(model.tokens.shouldAppendEosToken);
    for (const text of CORPUS.slice(0, 200)) {
      const expected = [...bos, ...Array.from(model.tokenize(text, true)), ...eos];
      expect(ours.tokenize(text, { addSpecial: true, parseSpecial: true })).toEqual(expected);
    }
  });

  it('detokenizes every token and the corpus exactly as llama.cpp', () => {
    expect(detokenizeMismatches(ours, model, CORPUS).slice(0, 5)).toEqual([]);
  });

  it.runIf(c.roundTrips)('decodes its own tokens back to the text', () => {
    const failures: unknown[] = [];
    for (const text of CORPUS) {
      if (text.includes('▁')) continue; // SPM reads ▁ as its space marker, so it comes back as ' '
      const back = ours.detokenize(ours.tokenize(text, { parseSpecial: false }), { unparseSpecial: true });
      if (back !== wellFormed(text)) failures.push({ text, back });
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });
});
