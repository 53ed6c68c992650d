// Byte-level BPE (llama.cpp's llm_tokenizer_bpe_session): split text into words with the model's pre-tokenizer,
// encode each word's UTF-8 bytes as GPT-2 byte characters, then repeatedly apply the lowest-ranked merge
// (leftmost on ties) and emit each resulting piece.

import { Heap } from './heap.ts';
import { splitDigits, splitGpt2, splitLlama3Style } from './pretokenize.ts';
import { bytesToGpt2, codepoints, utf8 } from './unicode.ts';
import { mergeKey, type PreSplit, type Vocab } from './vocab.ts';

const SPLITTERS: Record<PreSplit, ((cpts: readonly number[], lengths: readonly number[]) => number[])[]> = {
  llama3: [splitLlama3Style(3)],
  qwen2: [splitLlama3Style(1)],
  gpt2: [splitGpt2],
  'digits+gpt2': [splitDigits, splitGpt2],
};

/** Splits text into pre-tokenizer words, each encoded as GPT-2 byte characters. */
export function preTokenize(split: PreSplit, text: string): string[] {
  const cpts = codepoints(text);
  let lengths = [cpts.length];
  for (const splitter of SPLITTERS[split]) lengths = splitter(cpts, lengths);
  const words: string[] = [];
  let at = 0; // position in UTF-16 code units
  let cpt = 0;
  for (const len of lengths) {
    const from = at;
    for (const end = cpt + len; cpt < end; cpt++) at += cpts[cpt] > 0xffff ? 2 : 1;
    words.push(bytesToGpt2(utf8(text.slice(from, at))));
  }
  return words;
}

interface Bigram {
  left: number;
  right: number;
  text: string;
  rank: number;
}

function mergeWord(vocab: Vocab, word: string): string[] {
  if (vocab.ignoreMerges && vocab.ids.has(word)) return [word];
  const pieces = Array.from(word); // one GPT-2 character each
  const prev = pieces.map((_, i) => i - 1);
  const next = pieces.map((_, i) => (i + 1 < pieces.length ? i + 1 : -1));
  const queue = new Heap<Bigram>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left));
  const tryAdd = (left: number, right: number) => {
    if (left === -1 || right === -1) return;
    const rank = vocab.mergeRanks.get(mergeKey(pieces[left], pieces[right]));
    if (rank !== undefined) queue.push({ left, right, text: pieces[left] + pieces[right], rank });
  };
  for (let i = 1; i < pieces.length; i++) tryAdd(i - 1, i);
  while (queue.size > 0) {
    const b = queue.pop()!;
    if (pieces[b.left] === '' || pieces[b.right] === '') continue;
    if (pieces[b.left] + pieces[b.right] !== b.text) continue; // outdated
    pieces[b.left] = b.text;
    pieces[b.right] = '';
    next[b.left] = next[b.right];
    if (next[b.right] >= 0) prev[next[b.right]] = b.left;
    tryAdd(prev[b.left], b.left);
    tryAdd(b.left, next[b.left]);
  }
  return pieces.filter((p) => p !== '');
}

/** Tokenizes one piece of raw text and appends the ids to `out`. */
export function tokenizeBpe(vocab: Vocab, text: string, out: number[]): void {
  for (const word of preTokenize(vocab.split!, text)) {
    for (const piece of mergeWord(vocab, word)) {
      const id = vocab.ids.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // Unknown piece: llama.cpp looks each of its UTF-8 bytes up as a one-byte token and drops the misses.
      for (const byte of utf8(piece)) {
        const b = byte < 0x80 ? vocab.ids.get(String.fromCharCode(byte)) : undefined;
        if (b !== undefined) out.push(b);
      }
    }
  }
}
