// SentencePiece-style BPE over the vocabulary scores (llama.cpp's llm_tokenizer_spm_session): start from single
// characters, repeatedly merge the adjacent pair whose concatenation is the highest-scoring token (leftmost on
// ties), then emit each piece, falling back to <0xXX> byte tokens for pieces that are not tokens.

import { GgufFormatError } from '../../errors.ts';
import { Heap } from './heap.ts';
import { utf8 } from './unicode.ts';
import type { Vocab } from './vocab.ts';

interface Symbol {
  start: number;
  /** Length in UTF-16 code units; 0 once merged into its left neighbour. */
  n: number;
  prev: number;
  next: number;
}

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

/** The token for one byte: `<0xXX>`, else the byte itself as a one-character token. */
export function byteToken(vocab: Vocab, byte: number): number {
  const hex = `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
  const id = vocab.ids.get(hex) ?? (byte < 0x80 ? vocab.ids.get(String.fromCharCode(byte)) : undefined);
  if (id === undefined) throw new GgufFormatError(`vocabulary has no byte token ${hex} for byte fallback`);
  return id;
}

/** Tokenizes one piece of text (spaces already escaped to ▁) and appends the ids to `out`. */
export function tokenizeSpm(vocab: Vocab, text: string, out: number[]): void {
  const symbols: Symbol[] = [];
  for (let i = 0; i < text.length; ) {
    const n = (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    symbols.push({ start: i, n, prev: symbols.length - 1, next: i + n < text.length ? symbols.length + 1 : -1 });
    i += n;
  }
  const queue = new Heap<Bigram>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left));
  const piece = (s: Symbol, extra = 0) => text.slice(s.start, s.start + s.n + extra);
  const tryAdd = (left: number, right: number) => {
    if (left === -1 || right === -1) return;
    const merged = piece(symbols[left], symbols[right].n);
    const id = vocab.ids.get(merged);
    if (id === undefined) return;
    queue.push({ left, right, score: vocab.scores[id], size: merged.length });
  };
  for (let i = 1; i < symbols.length; i++) tryAdd(i - 1, i);

  while (queue.size > 0) {
    const b = queue.pop()!;
    const left = symbols[b.left];
    const right = symbols[b.right];
    if (left.n === 0 || right.n === 0 || left.n + right.n !== b.size) continue; // stale
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    tryAdd(left.prev, b.left);
    tryAdd(b.left, left.next);
  }

  for (let i = symbols.length > 0 ? 0 : -1; i !== -1; i = symbols[i].next) {
    const text = piece(symbols[i]);
    const id = vocab.ids.get(text);
    if (id !== undefined) out.push(id);
    else for (const byte of utf8(text)) out.push(byteToken(vocab, byte));
  }
}
