// A byte-fallback BPE tokenizer trainer whose output is a SentencePiece-style `llama` vocabulary, the kind
// llama.cpp tokenizes with llm_tokenizer_spm (and so does src/model/tokenizer/spm.ts, token for token).
//
// Training reads text the way llama.cpp's SPM tokenizer will see it: special-token text cut out, a space
// prefix on every piece, spaces as ▁. It counts words (a ▁ plus a run of letters, one digit, a run of
// symbols or a run of other whitespace; runs of ▁ stand alone), keeps the most frequent characters as base
// symbols (seen at least `minCharCount` times, covering `charCoverage` of the text, at most half the free slots;
// rarer ones fall back to <0xNN> byte tokens), then merges the most frequent adjacent pair again and again, with
// pair counts updated incrementally around each merge (a pair must be seen at least twice).
// Ties go to the pair with the lower (left, right) symbol ids, so training is deterministic.
//
// The vocabulary reads like a SentencePiece BPE model: <unk> <s> </s> <|im_start|> <|im_end|>, the 256 byte
// tokens, the merged pieces in merge order (score -k for the k-th: llama.cpp merges higher scores first), the
// base characters by frequency, then `<unusedN>` slots if the corpus ran out of pairs seen at least twice.

import { InputError } from '../errors.ts';
import { TokenType } from '../gguf/constants.ts';
import { kv } from '../gguf/metadata.ts';
import { writeGguf } from '../gguf/writer.ts';
import { CHATML_SPECIAL_TOKENS, CHATML_TEMPLATE } from './chat-template.ts';
import { spmTokenizerMetadata, type Vocabulary } from './init-model.ts';
import { Heap } from './tokenizer/heap.ts';

export interface TrainTokenizerOptions {
  /** Tokens in the vocabulary, specials and byte tokens included. */
  readonly vocabSize: number;
  /** A character becomes a base token when seen at least this often; rarer ones fall back to bytes. Default 2. */
  readonly minCharCount?: number;
  /**
   * Base characters are the most frequent ones until they cover this share of all characters read
   * (SentencePiece's character_coverage; default 0.9995, its default). Rarer ones fall back to bytes.
   */
  readonly charCoverage?: number;
  /** Called now and then while counting, with the UTF-16 code units of text read so far. */
  readonly onRead?: (chars: number) => void;
  /** Called after each merge (and once at the end) with the tokens merged so far and the room for them. */
  readonly onMerge?: (done: number, total: number) => void;
}

export interface TrainStats {
  /** Characters read (code points, special-token text not counted). */
  readonly chars: number;
  readonly words: number;
  readonly uniqueWords: number;
  /** Base characters in the vocabulary, and distinct characters that fall back to bytes. */
  readonly baseChars: number;
  readonly byteFallbackChars: number;
  /** Merges applied, and how many of them added a token (two merges can spell the same piece). */
  readonly merges: number;
  readonly mergedTokens: number;
  /** `<unusedN>` slots filled because no pair was seen at least twice any more. */
  readonly unused: number;
}

export interface TrainedVocabulary extends Vocabulary {
  readonly stats: TrainStats;
}

/** The control tokens every trained vocabulary starts with; <unk> is id 0 and <s> id 1, as llama.cpp expects. */
export const TRAINED_SPECIALS = ['<unk>', '<s>', '</s>', ...CHATML_SPECIAL_TOKENS] as const;
export const MIN_TRAINED_VOCAB = TRAINED_SPECIALS.length + 256;
const MAX_TRAINED_VOCAB = 1 << 20;
const MIN_PAIR_COUNT = 2;

const byteName = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
const BYTE_NAMES = Array.from({ length: 256 }, (_, b) => byteName(b));

/**
 * One word: a run of spaces that precedes another space stands alone; otherwise an optional space and one letter
 * run, digit, symbol run or run of other whitespace. A space is ' ' or '▁' (llama.cpp's SPM sees both as ▁).
 */
const WORD = /[ ▁]+(?=[ ▁])|[ ▁]?(?:[\p{L}\p{M}]+|\p{N}|[^\p{L}\p{M}\p{N}\s▁]+|[^\S ]+)|[ ▁]/gu;
const LONE_SURROGATE = /\p{Cs}/u;
const SPECIAL_SPLIT = new RegExp(TRAINED_SPECIALS.map((s) => s.replace(/[|\\/]/g, '\\$&')).join('|'), 'g');

/**
 * Pieces the trainer must never create: the special and byte token texts, and every piece that could complete one
 * of them in llama.cpp's SPM merge loop (all of them start with '<' and end with '>', so the last merge that spells
 * one joins a prefix starting with '<' to a suffix ending with '>'; banning the multi-character ones suffices).
 */
function reservedPieces(texts: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const t of texts) {
    const cps = Array.from(t);
    out.add(t);
    for (let k = 2; k < cps.length; k++) {
      out.add(cps.slice(0, k).join(''));
      out.add(cps.slice(cps.length - k).join(''));
    }
  }
  return out;
}

/** Counts the words of each text as llama.cpp's SPM tokenizer will see it with parse_special. */
function countWords(
  texts: Iterable<string>,
  onRead?: (chars: number) => void,
): { counts: Map<string, number>; pieces: number; words: number } {
  const raw = new Map<string, number>(); // keyed by the text as read; spaces become ▁ at the end
  let pieces = 0;
  let words = 0;
  let read = 0;
  let reported = 0;
  for (let text of texts) {
    // Lone surrogates reach llama.cpp as U+FFFD.
    if (LONE_SURROGATE.test(text)) text = text.replace(/\p{Cs}/gu, '\uFFFD');
    for (const piece of text.split(SPECIAL_SPLIT)) {
      if (piece.length === 0) continue;
      pieces++;
      const prefixed = ` ${piece}`;
      WORD.lastIndex = 0;
      for (let m = WORD.exec(prefixed); m !== null; m = WORD.exec(prefixed)) {
        raw.set(m[0], (raw.get(m[0]) ?? 0) + 1);
        words++;
        if (onRead && m.index - reported > 1 << 20) {
          reported = m.index;
          onRead(read + m.index - 1); // less the added space
        }
      }
      reported = 0;
      read += piece.length;
    }
    onRead?.(read);
  }
  const counts = new Map<string, number>();
  for (const [w, n] of raw) {
    const key = w.replaceAll(' ', '▁');
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
  return { counts, pieces, words };
}

interface Entry {
  readonly count: number;
  readonly key: number;
}

const PAIR_SHIFT = 2 ** 21;
const pairKey = (a: number, b: number) => a * PAIR_SHIFT + b;

/** Trains a byte-fallback BPE vocabulary of exactly `vocabSize` tokens on `texts`. Deterministic. */
export function trainTokenizer(texts: Iterable<string>, options: TrainTokenizerOptions): TrainedVocabulary {
  const { vocabSize } = options;
  const minCharCount = options.minCharCount ?? 2;
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_TRAINED_VOCAB) {
    throw new InputError(
      `--vocab ${vocabSize} is too small: a byte-fallback vocabulary needs at least ${MIN_TRAINED_VOCAB} (${TRAINED_SPECIALS.length} special and 256 byte tokens)`,
    );
  }
  if (vocabSize > MAX_TRAINED_VOCAB)
    throw new InputError(`--vocab ${vocabSize} is too large (at most ${MAX_TRAINED_VOCAB})`);
  if (!Number.isInteger(minCharCount) || minCharCount < 1) {
    throw new InputError(`--min-char-count must be a positive integer, got ${minCharCount}`);
  }
  const charCoverage = options.charCoverage ?? 0.9995;
  if (!(charCoverage > 0 && charCoverage <= 1)) {
    throw new InputError(`--char-coverage must be in (0, 1], got ${charCoverage}`);
  }

  const { counts, pieces, words } = countWords(texts, options.onRead);
  const wordList = [...counts.keys()].sort(); // a fixed order, whatever order the texts came in
  const wordCounts = wordList.map((w) => counts.get(w)!);

  // Base characters: the most frequent (code point order on ties) until they cover `charCoverage` of the text,
  // each seen at least `minCharCount` times, and at most half the free slots so merges get the other half.
  const charCounts = new Map<string, number>();
  let chars = -pieces; // the ▁ prefixes were added, not read
  for (const [i, w] of wordList.entries()) {
    for (const c of w) {
      charCounts.set(c, (charCounts.get(c) ?? 0) + wordCounts[i]);
      chars += wordCounts[i];
    }
  }
  const reserved = reservedPieces([...TRAINED_SPECIALS, ...BYTE_NAMES]);
  const room = vocabSize - MIN_TRAINED_VOCAB;
  const eligible = [...charCounts]
    // NUL stays a byte token: llama.cpp reads token texts as C strings, so a token holding NUL would collide with
    // another and fail its vocabulary load (GGML_ASSERT in llama_vocab::impl::load).
    .filter(([c, n]) => n >= minCharCount && c !== '\0')
    .sort((a, b) => b[1] - a[1] || (a[0].codePointAt(0)! < b[0].codePointAt(0)! ? -1 : 1));
  const baseChars: string[] = [];
  let covered = 0;
  for (const [c, n] of eligible) {
    if (covered >= charCoverage * (chars + pieces) || baseChars.length >= Math.ceil(room / 2)) break;
    baseChars.push(c);
    covered += n;
  }

  const symbols: string[] = [...baseChars];
  const symbolId = new Map(symbols.map((s, i) => [s, i]));

  // Words as symbol-id arrays; characters without a base token split a word (they become bytes, which never merge).
  const seqs: number[][] = [];
  const seqCounts: number[] = [];
  for (const [i, w] of wordList.entries()) {
    let cur: number[] = [];
    const flush = () => {
      if (cur.length > 1) {
        seqs.push(cur);
        seqCounts.push(wordCounts[i]);
      }
      cur = [];
    };
    for (const c of w) {
      const id = symbolId.get(c);
      if (id === undefined) flush();
      else cur.push(id);
    }
    flush();
  }

  // Pair counts, where each pair occurs (word indices; duplicates and stale entries are skipped when merging).
  const pairCount = new Map<number, number>();
  const pairWhere = new Map<number, number[]>();
  const addPair = (key: number, delta: number, word: number) => {
    const n = (pairCount.get(key) ?? 0) + delta;
    if (n > 0) pairCount.set(key, n);
    else pairCount.delete(key);
    if (delta > 0) {
      const where = pairWhere.get(key);
      if (where) where.push(word);
      else pairWhere.set(key, [word]);
    }
  };
  for (const [w, seq] of seqs.entries()) {
    for (let i = 0; i + 1 < seq.length; i++) addPair(pairKey(seq[i], seq[i + 1]), seqCounts[w], w);
  }
  const heap = new Heap<Entry>((a, b) => a.count > b.count || (a.count === b.count && a.key < b.key));
  for (const [key, count] of pairCount) heap.push({ count, key });

  const mergeRoom = room - baseChars.length;
  const merged: string[] = []; // new tokens, in creation order
  const banned = new Set<number>();
  const visited = new Int32Array(seqs.length).fill(-1);
  let merges = 0;
  while (merged.length < mergeRoom) {
    const top = heap.pop();
    if (!top) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      // Counts of existing pairs only fall, so a stale entry is an upper bound: re-queue it with its true count.
      if (current > 0 && !banned.has(top.key)) heap.push({ count: current, key: top.key });
      continue;
    }
    if (current < MIN_PAIR_COUNT) break;
    const a = Math.floor(top.key / PAIR_SHIFT);
    const b = top.key % PAIR_SHIFT;
    const text = symbols[a] + symbols[b];
    if (reserved.has(text)) {
      banned.add(top.key);
      continue;
    }
    let id = symbolId.get(text);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(text);
      symbolId.set(text, id);
      merged.push(text);
    }
    merges++;

    // Rewrite every word holding the pair, adjusting the counts of the pairs around each occurrence.
    const grown = new Set<number>();
    const bump = (key: number, delta: number, w: number) => {
      if (banned.has(key)) return;
      addPair(key, delta, w);
      if (delta > 0) grown.add(key);
    };
    for (const w of pairWhere.get(top.key) ?? []) {
      if (visited[w] === merges) continue;
      visited[w] = merges;
      const seq = seqs[w];
      const c = seqCounts[w];
      const out: number[] = [];
      for (let i = 0; i < seq.length; i++) {
        if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
          if (out.length > 0) {
            const prev = out[out.length - 1];
            bump(pairKey(prev, a), -c, w);
            bump(pairKey(prev, id), c, w);
          }
          if (i + 2 < seq.length) {
            const next = seq[i + 2];
            bump(pairKey(b, next), -c, w);
            bump(pairKey(id, next), c, w);
          }
          out.push(id);
          i++;
        } else out.push(seq[i]);
      }
      seqs[w] = out;
    }
    pairCount.delete(top.key);
    pairWhere.delete(top.key);
    for (const key of grown) {
      const n = pairCount.get(key);
      if (n !== undefined) heap.push({ count: n, key });
    }
    options.onMerge?.(merged.length, mergeRoom);
  }
  options.onMerge?.(merged.length, merged.length);

  // Assemble: specials, bytes, merged pieces by merge order, base characters by frequency, then unused slots.
  const tokens: string[] = [...TRAINED_SPECIALS, ...BYTE_NAMES];
  const types: number[] = [TokenType.UNKNOWN, ...TRAINED_SPECIALS.slice(1).map(() => TokenType.CONTROL)];
  for (let i = 0; i < 256; i++) types.push(TokenType.BYTE);
  const scores: number[] = tokens.map(() => 0);
  for (const [i, t] of [...merged, ...baseChars].entries()) {
    tokens.push(t);
    types.push(TokenType.NORMAL);
    scores.push(-i);
  }
  const known = new Set(tokens);
  // An unused slot's name must not be spelled by merging two tokens, or llama.cpp could produce it from text.
  const reachable = (t: string) => {
    const cps = Array.from(t);
    for (let k = 1; k < cps.length; k++) {
      if (known.has(cps.slice(0, k).join('')) && known.has(cps.slice(k).join(''))) return true;
    }
    return false;
  };
  let unused = 0;
  for (let i = 0; tokens.length < vocabSize; i++) {
    const t = `<unused${i}>`;
    if (known.has(t) || reachable(t)) continue;
    tokens.push(t);
    types.push(TokenType.UNUSED);
    scores.push(0);
    known.add(t);
    unused++;
  }

  return {
    tokens,
    scores,
    types,
    bos: tokens.indexOf('<s>'),
    // The chat turn ends with <|im_end|>, so that is EOS (as buildSpmVocabulary has it); </s> stays end-of-generation.
    eos: tokens.indexOf('<|im_end|>'),
    unk: tokens.indexOf('<unk>'),
    stats: {
      chars,
      words,
      uniqueWords: wordList.length,
      baseChars: baseChars.length,
      byteFallbackChars: charCounts.size - baseChars.length,
      merges,
      mergedTokens: merged.length,
      unused,
    },
  };
}

/**
 * Writes a vocabulary-only GGUF: `general.architecture` llama, the tokenizer metadata and the ChatML template, no
 * tensors. llama.cpp loads it with vocab_only (as its own models/ggml-vocab-*.gguf), and `init-model --vocab-from`
 * builds a model on it.
 */
export async function writeTokenizerGguf(out: string, vocab: Vocabulary, name = 'meetara-tokenizer'): Promise<number> {
  const metadata = new Map([
    ['general.architecture', kv.str('llama')],
    ['general.name', kv.str(name)],
    ...spmTokenizerMetadata(vocab),
    ['tokenizer.chat_template', kv.str(CHATML_TEMPLATE)],
  ]);
  return writeGguf(out, { metadata, tensors: [] });
}
