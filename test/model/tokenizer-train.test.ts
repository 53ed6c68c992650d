// The tokenizer trainer against llama.cpp: a 4,096-token vocabulary trained on a seeded corpus (strings from
// corpus.ts and generated English-like prose), built into a model with init-model and loaded by llama.cpp, must
// tokenize and detokenize 2,000+ held-out strings (none seen in training) exactly as our Tokenizer does, with and
// without parse_special. Also: the special tokens, byte fallback, determinism, the vocabulary-only GGUF, and the
// `tokenizer-train` / `init-model --vocab-from` commands with their one-line errors.

import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaEngine, loadModel } from '../../src/eval/llama.ts';
import { TokenType } from '../../src/gguf/constants.ts';
import { getString } from '../../src/gguf/metadata.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { CHATML_TEMPLATE } from '../../src/model/chat-template.ts';
import { initModel, readSpmVocabulary } from '../../src/model/init-model.ts';
import { Tokenizer } from '../../src/model/tokenizer/tokenizer.ts';
import { MIN_TRAINED_VOCAB, trainTokenizer, writeTokenizerGguf } from '../../src/model/tokenizer-train.ts';
import { Rng } from '../../src/util/random.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildCorpus, TRICKY } from './corpus.ts';
import { detokenizeMismatches } from './detokenize-oracle.ts';

const dir = tempDir('meetara-tokenizer-train-');

/** Seeded English-like prose: a Zipf-weighted lexicon of real and made-up words, sentences, numbers, paragraphs. */
function prose(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const real = `the of and to a in is you that it he was for on are as with his they I at be this have from or one had
by word but not what all were we when your can said there use an each which she do how their if will up other about out
many then them these so some her would make like him into time has look two more write go see number no way could people
my than first water been call who oil its now find long down day did get come made may part feel feeling help care
support listen understand health mind body stress anxiety sad happy okay sorry hear here glad thank thanks please really
very well hard try sleep work family friend doctor pain heart life need want know think talk ask take give good bad
better best today tomorrow week month year always never often sometimes maybe because should must might learn study
school teach business money plan goal step small big new old right left sure just also only even still again back after
before over under through between while where why whom whose yes hello breathe calm worried together`.split(/\s+/);
  const onsets = ['b', 'c', 'd', 'f', 'g', 'h', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'br', 'st', 'tr', 'ch', 'sh'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ea', 'ou', 'ai'];
  const codas = ['', '', 'n', 'r', 's', 't', 'nd', 'ng', 'st', 'ck'];
  const made = Array.from({ length: 1500 }, () =>
    Array.from({ length: 1 + rng.int(3) }, () => pick(onsets) + pick(vowels) + pick(codas)).join(''),
  );
  const lexicon = [...real, ...made];
  const word = () => lexicon[Math.min(lexicon.length - 1, Math.floor(lexicon.length * rng.uniform() ** 3))];
  const sentence = () => {
    const words = Array.from({ length: 3 + rng.int(14) }, (_, i) => {
      let w = word();
      if (rng.int(25) === 0) w = String(rng.int(rng.int(2) === 0 ? 100 : 100000));
      if (rng.int(30) === 0) w = `${w}'${pick(['s', 't', 're', 've', 'll', 'd', 'm'])}`;
      if (i === 0 || rng.int(20) === 0) w = w[0].toUpperCase() + w.slice(1);
      if (rng.int(12) === 0) w += pick([',', ',', ';', ':', ' -']);
      if (rng.int(40) === 0) w = `"${w}"`;
      return w;
    });
    return words.join(' ') + pick(['.', '.', '.', '?', '!', '...']);
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + rng.int(4) }, () => Array.from({ length: 1 + rng.int(4) }, sentence).join(' ')).join(
      rng.int(3) === 0 ? '\n\n' : '\n',
    ),
  );
}

const TRAIN = [...buildCorpus(3000, 101), ...prose(6000, 7)];
const seen = new Set(TRAIN);
const HELD_OUT = [...TRICKY, ...buildCorpus(2000), ...prose(400, 8)].filter((s) => !seen.has(s));
const VOCAB = 4096;

/** The text as it reaches llama.cpp: lone surrogates become U+FFFD on the way to UTF-8. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

describe('trained tokenizer identical to llama.cpp', () => {
  const vocab = trainTokenizer(TRAIN, { vocabSize: VOCAB });
  const modelPath = join(dir, 'trained.gguf');
  let model: LlamaModel;
  let ours: Tokenizer;

  beforeAll(async () => {
    await initModel(modelPath, {
      arch: 'llama',
      vocabulary: vocab,
      dim: 32,
      layers: 1,
      heads: 2,
      ffn: 64,
      contextLength: 128,
    });
    ours = Tokenizer.fromGgufFile(modelPath);
    model = await (await llamaEngine()).loadModel({ modelPath, vocabOnly: true });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('learns a full vocabulary of real merges from the corpus', () => {
    expect(vocab.tokens).toHaveLength(VOCAB);
    expect(new Set(vocab.tokens).size).toBe(VOCAB);
    expect(vocab.stats.unused).toBe(0);
    expect(vocab.stats.mergedTokens + vocab.stats.baseChars + MIN_TRAINED_VOCAB).toBe(VOCAB);
    expect(vocab.stats.mergedTokens).toBeGreaterThan(VOCAB / 2);
    // Every merged piece spells text the corpus holds (a word piece with its ▁ markers as spaces).
    // Special-token text was cut out and each remaining piece got a space prefix, as llama.cpp's SPM tokenizer does.
    const text = ` ${TRAIN.map(wellFormed).join(' ')}`.replace(/<\|im_start\|>|<\|im_end\|>|<\/s>|<s>|<unk>/g, ' ');
    const spaced = text.replaceAll('▁', ' ');
    const merged = vocab.tokens.slice(MIN_TRAINED_VOCAB, MIN_TRAINED_VOCAB + vocab.stats.mergedTokens);
    const missing = merged.filter((t) => !spaced.includes(t.replaceAll('▁', ' ')));
    expect(missing).toEqual([]);
    // Scores follow merge order (earlier merge, higher score), so llama.cpp applies merges in training order.
    for (let i = 1; i < merged.length; i++)
      expect(vocab.scores[MIN_TRAINED_VOCAB + i]).toBeLessThan(vocab.scores[MIN_TRAINED_VOCAB + i - 1]);
  });

  it(`tokenizes ${HELD_OUT.length} held-out strings exactly as llama.cpp, with and without parse_special`, () => {
    expect(HELD_OUT.length).toBeGreaterThanOrEqual(2000);
    const mismatches: unknown[] = [];
    let tokens = 0;
    let merged = 0;
    let bytes = 0;
    for (const text of HELD_OUT) {
      for (const parseSpecial of [true, false]) {
        const expected = Array.from(model.tokenize(text, parseSpecial));
        const got = ours.tokenize(text, { parseSpecial });
        if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push({ text, parseSpecial, got, expected });
        tokens += got.length;
        for (const id of got) {
          if (vocab.types[id] === TokenType.BYTE) bytes++;
          else if (Array.from(vocab.tokens[id]).length > 1 && vocab.types[id] === TokenType.NORMAL) merged++;
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // The comparison exercises learned merges and byte fallback, not just single characters.
    expect(merged).toBeGreaterThan(tokens * 0.2);
    expect(bytes).toBeGreaterThan(1000);
  });

  it('tokenizes held-out prose in fewer tokens than the hand-made vocabulary of the same size', async () => {
    const handMade = join(dir, 'hand-made.gguf');
    await initModel(handMade, {
      arch: 'llama',
      vocabSize: VOCAB,
      dim: 32,
      layers: 1,
      heads: 2,
      ffn: 64,
      contextLength: 128,
    });
    const text = prose(200, 9).join('\n');
    const trained = ours.tokenize(text).length;
    const baseline = Tokenizer.fromGgufFile(handMade).tokenize(text).length;
    expect(trained).toBeLessThan(baseline * 0.8);
    expect(trained).toBeLessThan(text.length / 2);
  });

  it('adds BOS exactly where llama.cpp does', () => {
    expect(ours.vocab.addBos).toBe(model.tokens.shouldPrependBosToken);
    expect(ours.vocab.addEos).toBe(model.tokens.shouldAppendEosToken);
    const bos = model.tokens.shouldPrependBosToken ? [model.tokens.bos] : [];
    for (const text of HELD_OUT.slice(0, 300)) {
      expect(ours.tokenize(text, { addSpecial: true, parseSpecial: true })).toEqual([
        ...bos,
        ...Array.from(model.tokenize(text, true)),
      ]);
    }
  });

  it('detokenizes every token and the held-out strings exactly as llama.cpp', () => {
    // Byte fallback loses nothing: the text comes back (▁ is SPM's space marker, so it comes back as ' ').
    const mismatches = detokenizeMismatches(ours, model, HELD_OUT, (text, got) =>
      !text.includes('▁') && got !== wellFormed(text) ? { text, roundTrip: got } : undefined,
    );
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('has <unk>, <s>, </s>, <|im_start|>, <|im_end|> as single special tokens, EOS = <|im_end|>', () => {
    const ids = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'].map((t) => vocab.tokens.indexOf(t));
    expect(ids).toEqual([0, 1, 2, 3, 4]);
    expect(model.getTokenAttributes(0 as Token).unknown).toBe(true);
    for (const id of ids.slice(1)) expect(model.getTokenAttributes(id as Token).control).toBe(true);
    expect([model.tokens.bos, model.tokens.eos]).toEqual([1, 4]);
    expect(model.tokens.eosString).toBe('<|im_end|>');
    for (const id of ids) {
      const text = vocab.tokens[id];
      expect(Array.from(model.tokenize(text, true))).toEqual([id]);
      expect(ours.tokenize(text, { parseSpecial: true })).toEqual([id]);
      // As plain text they are never the special token, even where learned pieces could spell them.
      expect(ours.tokenize(text, { parseSpecial: false })).not.toContain(id);
      expect(ours.tokenize(`x ${text}y`, { parseSpecial: false })).not.toContain(id);
    }
    const chat = '<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n';
    const chatIds = ours.tokenize(chat, { parseSpecial: true });
    expect(chatIds.filter((id) => id === 3)).toHaveLength(2);
    expect(chatIds.filter((id) => id === 4)).toHaveLength(1);
  });

  it('has the 256 byte tokens and no other non-normal token', () => {
    for (let b = 0; b < 256; b++) {
      const id = 5 + b;
      expect(vocab.tokens[id]).toBe(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      expect(model.getTokenAttributes(id as Token).byte).toBe(true);
    }
    const normal = vocab.types.filter((t) => t === TokenType.NORMAL).length;
    expect(normal).toBe(VOCAB - MIN_TRAINED_VOCAB);
  });

  it('is deterministic, whatever the order of the texts', () => {
    const again = trainTokenizer(TRAIN, { vocabSize: VOCAB });
    expect(again).toEqual(vocab);
    const reversed = trainTokenizer([...TRAIN].reverse(), { vocabSize: VOCAB });
    expect(reversed.tokens).toEqual(vocab.tokens);
    expect(reversed.scores).toEqual(vocab.scores);
  });

  it('writes a vocabulary-only GGUF that llama.cpp loads (vocab_only) and tokenizes the same way', async () => {
    const path = join(dir, 'tokenizer.gguf');
    await writeTokenizerGguf(path, vocab);
    const file = GgufFile.open(path);
    try {
      expect(file.tensors).toHaveLength(0);
      expect(getString(file.metadata, 'tokenizer.chat_template')).toBe(CHATML_TEMPLATE);
    } finally {
      file.close();
    }
    expect(readSpmVocabulary(path)).toEqual({
      tokens: vocab.tokens,
      scores: Array.from(Float32Array.from(vocab.scores)),
      types: vocab.types,
      bos: vocab.bos,
      eos: vocab.eos,
      unk: vocab.unk,
    });
    const fromFile = Tokenizer.fromGgufFile(path);
    const vocabOnly = await (await llamaEngine()).loadModel({ modelPath: path, vocabOnly: true });
    try {
      for (const text of HELD_OUT.slice(0, 300)) {
        const expected = Array.from(vocabOnly.tokenize(text, true));
        expect(fromFile.tokenize(text, { parseSpecial: true })).toEqual(expected);
        expect(ours.tokenize(text, { parseSpecial: true })).toEqual(expected);
      }
    } finally {
      await vocabOnly.dispose();
    }
  });
});

describe('trainTokenizer edge cases', () => {
  it('rejects a vocabulary too small for the specials and byte tokens', () => {
    expect(() => trainTokenizer(['hello'], { vocabSize: MIN_TRAINED_VOCAB - 1 })).toThrow(/too small.*at least 261/);
    expect(() => trainTokenizer(['hello'], { vocabSize: 4096, minCharCount: 0 })).toThrow(/min-char-count/);
  });

  it('fills slots it cannot learn with unused tokens, and rare characters fall back to bytes', () => {
    const v = trainTokenizer(['hello hello world world 日'], { vocabSize: 300 });
    expect(v.tokens).toHaveLength(300);
    expect(v.stats.unused).toBeGreaterThan(0);
    expect(v.tokens).toContain('▁hello');
    expect(v.tokens).toContain('▁world');
    expect(v.tokens).not.toContain('日'); // seen once
    expect(v.stats.byteFallbackChars).toBe(1);
    expect(v.types.filter((t) => t === TokenType.UNUSED)).toHaveLength(v.stats.unused);
  });

  it('never learns special-token text, nor a piece that could complete it in llama.cpp', () => {
    const reserved = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>', '<0x41>', '<0x0A>'];
    const banned = new Set(reserved);
    for (const r of reserved) {
      for (let k = 2; k < r.length; k++) banned.add(r.slice(0, k)).add(r.slice(r.length - k));
    }
    // Near-misses are plain text to the trainer (only exact special-token text is cut out), so without the ban
    // it would learn '<|', '|>' and '</' from them.
    const text = Array(40).fill('<| |> </ <|| ||> <|> <0x 1> <|im_ end|>').join(' ');
    const v = trainTokenizer([text], { vocabSize: 400 });
    const learned = v.tokens.slice(MIN_TRAINED_VOCAB, MIN_TRAINED_VOCAB + v.stats.mergedTokens);
    expect(learned.length).toBeGreaterThan(3);
    expect(learned.filter((t) => banned.has(t))).toEqual([]);
    expect(learned).toContain('▁<||');
  });

  it('keeps NUL a byte token, so llama.cpp loads the vocabulary and tokenizes NUL identically', async () => {
    const v = trainTokenizer(Array(30).fill('ab\u0000cd \u0000\u0000 x\u0000'), { vocabSize: 300 });
    expect(v.tokens.filter((t) => t.includes('\0'))).toEqual([]);
    const path = join(dir, 'nul.gguf');
    await writeTokenizerGguf(path, v);
    const model = await (await llamaEngine()).loadModel({ modelPath: path, vocabOnly: true });
    try {
      const ours = Tokenizer.fromGgufFile(path);
      for (const text of ['ab\u0000cd', '\u0000', 'x\u0000\u0000 y']) {
        expect(ours.tokenize(text)).toEqual(Array.from(model.tokenize(text)));
      }
      expect(ours.tokenize('\u0000')).toContain(5); // <0x00>
    } finally {
      await model.dispose();
    }
  });

  it('learns U+FFFD like any character, and lone surrogates (U+FFFD to llama.cpp) tokenize identically', async () => {
    // Text decoded from files with invalid UTF-8 is full of U+FFFD, so a trained vocabulary can hold it.
    const v = trainTokenizer(Array(30).fill('caf\uFFFD \uFFFD\uFFFD ok'), { vocabSize: 300 });
    expect(v.tokens).toContain('\uFFFD');
    const path = join(dir, 'fffd.gguf');
    await writeTokenizerGguf(path, v);
    const model = await (await llamaEngine()).loadModel({ modelPath: path, vocabOnly: true });
    try {
      const ours = Tokenizer.fromGgufFile(path);
      for (const text of ['\ud800 lone surrogate \udfff', 'caf\udc00 ok', '\uFFFD\ud83d', 'x\ud83d\ude00y']) {
        expect(ours.tokenize(text)).toEqual(Array.from(model.tokenize(text)));
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('meetara tokenizer-train and init-model --vocab-from', () => {
  const txt = join(dir, 'notes.txt');
  const jsonl = join(dir, 'chats.jsonl');
  const out = join(dir, 'cli-tokenizer.gguf');
  const texts = prose(300, 21);
  const chats = prose(200, 22);

  beforeAll(() => {
    writeFileSync(txt, texts.join('\n'));
    const lines = [];
    for (let i = 0; i + 1 < chats.length; i += 2) {
      lines.push(
        JSON.stringify({
          messages: [
            { role: 'user', content: chats[i] },
            { role: 'assistant', content: chats[i + 1] },
          ],
        }),
      );
    }
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
  });

  it('trains from text and chat JSONL files (every message content) and prints a --json summary', () => {
    const r = runCli(['tokenizer-train', '--corpus', txt, jsonl, '--vocab', '1024', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const expected = trainTokenizer([texts.join('\n'), ...chats], { vocabSize: 1024 });
    expect(summary).toMatchObject({
      out,
      vocabSize: 1024,
      merges: expected.stats.merges,
      mergedTokens: expected.stats.mergedTokens,
      baseChars: expected.stats.baseChars,
      corpusFiles: 2,
      corpusBytes: statSync(txt).size + statSync(jsonl).size,
      corpusTexts: 1 + chats.length,
      corpusChars: expected.stats.chars,
    });
    expect(summary.seconds).toBeGreaterThan(0);
    expect(readSpmVocabulary(out).tokens).toEqual(expected.tokens);
  });

  it('builds a model on the trained vocabulary that llama.cpp loads, with the chat template embedded', async () => {
    const modelPath = join(dir, 'cli-model.gguf');
    const r = runCli([
      'init-model',
      '--vocab-from',
      out,
      '--dim',
      '32',
      '--layers',
      '1',
      '--heads',
      '2',
      '--ffn',
      '64',
      '--ctx',
      '64',
      '--out',
      modelPath,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).vocabSize).toBe(1024);
    const tok = Tokenizer.fromGgufFile(modelPath);
    expect(tok.vocab.tokens).toEqual(readSpmVocabulary(out).tokens);
    const llama = await loadModel(modelPath);
    try {
      expect(llama.fileInfo.metadata.tokenizer.chat_template).toBe(CHATML_TEMPLATE);
      for (const text of HELD_OUT.slice(0, 200)) {
        expect(tok.tokenize(text, { parseSpecial: true })).toEqual(Array.from(llama.tokenize(text, true)));
      }
    } finally {
      await llama.dispose();
    }
  });

  function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  }

  it('refuses bad input with one-line errors and exit code 1', () => {
    const o = join(dir, 'never.gguf');
    expectOneLineError(
      runCli(['tokenizer-train', '--corpus', join(dir, 'missing.txt'), '--vocab', '512', '--out', o]),
      /cannot read corpus file '.*missing\.txt': ENOENT/,
    );
    expectOneLineError(
      runCli(['tokenizer-train', '--corpus', txt, '--vocab', '100', '--out', o]),
      /--vocab 100 is too small: .*at least 261/,
    );
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"messages":[{"role":"user","content":"hi"}]}\n{"messages": nope}\n');
    expectOneLineError(
      runCli(['tokenizer-train', '--corpus', bad, '--vocab', '512', '--out', o]),
      /bad\.jsonl line 2: not valid JSON/,
    );
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    expectOneLineError(runCli(['tokenizer-train', '--corpus', empty, '--vocab', '512', '--out', o]), /has no text/);
    expect(() => statSync(o)).toThrow();
    expectOneLineError(
      runCli([
        'init-model',
        '--vocab-from',
        out,
        '--vocab',
        '512',
        '--dim',
        '32',
        '--layers',
        '1',
        '--heads',
        '2',
        '--ffn',
        '64',
        '--out',
        o,
      ]),
      /--vocab 512 does not match the given vocabulary, which has 1024 tokens/,
    );
    expectOneLineError(
      runCli(['init-model', '--dim', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--out', o]),
      /--vocab.*--vocab-from/,
    );
  });

  it('--help describes the options', () => {
    const r = runCli(['tokenizer-train', '--help']);
    expect(r.code).toBe(0);
    for (const opt of ['--corpus', '--vocab', '--out', '--min-char-count', '--char-coverage', '--json']) {
      expect(r.stdout).toContain(opt);
    }
  });
});
