// BPE pre-tokenizers: split text into words before merges. Each splitter below follows the hand-written matcher
// llama.cpp uses for that regex (src/unicode.cpp), including where it departs from the regex it stands for
// (it classifies code points with its own Unicode 15.1 tables, see unicode.ts).

import { CPT, cptFlags } from './unicode.ts';

/** A splitter refines word boundaries: it takes word lengths (in code points) and returns finer ones. */
type Splitter = (cpts: readonly number[], lengths: readonly number[]) => number[];

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const APOSTROPHE = 0x27;
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
const ch = (s: string) => s.charCodeAt(0);

/** Runs `matchAt` over each existing word; it returns the end of the word that starts at `pos`. */
function splitWords(
  cpts: readonly number[],
  lengths: readonly number[],
  matchAt: (pos: number, cpt: (i: number) => number, flags: (i: number) => number, end: number) => number,
): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of lengths) {
    const begin = start;
    const end = start + len;
    start = end;
    // Outside the current word a code point reads as -1 and its flags as 0, as in llama.cpp.
    const cpt = (i: number) => (i >= begin && i < end ? cpts[i] : -1);
    const flags = (i: number) => (i >= begin && i < end ? cptFlags(cpts[i]) : 0);
    for (let pos = begin; pos < end; ) {
      const next = matchAt(pos, cpt, flags, end);
      out.push(next - pos);
      pos = next;
    }
  }
  return out;
}

const isLetter = (f: number) => (f & CPT.LETTER) !== 0;
const isNumber = (f: number) => (f & CPT.NUMBER) !== 0;
const isSpace = (f: number) => (f & CPT.WHITESPACE) !== 0;
/** `[^\s\p{L}\p{N}]`, where a position outside the word (flags 0) does not match. */
const isOther = (f: number) => f !== 0 && !(f & (CPT.WHITESPACE | CPT.LETTER | CPT.NUMBER));

/** 's|'t|'re|'ve|'m|'ll|'d at pos (optionally case-insensitive): returns the end, or -1. */
function contraction(pos: number, cpt: (i: number) => number, end: number, fold: (c: number) => number): number {
  if (cpt(pos) !== APOSTROPHE || pos + 1 >= end) return -1;
  const a = fold(cpt(pos + 1));
  if (a === ch('s') || a === ch('t') || a === ch('m') || a === ch('d')) return pos + 2;
  if (pos + 2 < end) {
    const b = fold(cpt(pos + 2));
    if ((a === ch('r') && b === ch('e')) || (a === ch('v') && b === ch('e')) || (a === ch('l') && b === ch('l'))) {
      return pos + 3;
    }
  }
  return -1;
}

/** Trailing whitespace: `\s+(?!\S)` leaves the last space to the next word; `\s+` takes the run at the end. */
function whitespaceRun(pos: number, cpt: (i: number) => number, flags: (i: number) => number): number {
  let n = 0;
  while (isSpace(flags(pos + n))) n++;
  if (n > 1 && cpt(pos + n) !== -1) return pos + n - 1;
  if (n > 0) return pos + n;
  return pos + 1; // no match: the code point stands alone
}

/** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
export const splitGpt2: Splitter = (cpts, lengths) =>
  splitWords(cpts, lengths, (start, cpt, flags, end) => {
    const c = contraction(start, cpt, end, (x) => x);
    if (c >= 0) return c;
    let pos = start;
    const space = cpt(pos) === SPACE;
    let f = space ? flags(pos + 1) : flags(pos);
    for (const cls of [isLetter, isNumber, isOther]) {
      if (cls(f)) {
        if (space) pos++;
        while (cls(f)) f = flags(++pos);
        return pos;
      }
    }
    return whitespaceRun(pos, cpt, flags);
  });

/**
 * Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
export const splitLlama3Style =
  (maxDigits: number): Splitter =>
  (cpts, lengths) =>
    splitWords(cpts, lengths, (start, cpt, flags, end) => {
      const c = contraction(start, cpt, end, lower);
      if (c >= 0) return c;
      let pos = start;
      const c0 = cpt(pos);
      const f0 = flags(pos);
      if (!(c0 === CR || c0 === LF || isNumber(f0)) && (isLetter(f0) || isLetter(flags(pos + 1)))) {
        pos++;
        while (isLetter(flags(pos))) pos++;
        return pos;
      }
      if (isNumber(f0)) {
        // A digit run becomes words of at most maxDigits.
        for (let n = 0; n < maxDigits && isNumber(flags(pos)); n++) pos++;
        return pos;
      }
      // ` ?[^\s\p{L}\p{N}]+[\r\n]*`: llama.cpp checks the first code point's own flags for "any", not the next one's.
      let f = c0 === SPACE ? flags(pos + 1) : f0;
      if (!(f & (CPT.WHITESPACE | CPT.LETTER | CPT.NUMBER)) && f0 !== 0) {
        if (c0 === SPACE) pos++;
        while (isOther(f)) f = flags(++pos);
        while (cpt(pos) === CR || cpt(pos) === LF) pos++;
        return pos;
      }
      // `\s*[\r\n]+`: whitespace up to and including the last newline of the run.
      let lastNewline = 0;
      for (let n = 0; isSpace(flags(pos + n)); n++) {
        const c2 = cpt(pos + n);
        if (c2 === CR || c2 === LF) lastNewline = pos + n + 1;
      }
      if (lastNewline > 0) return lastNewline;
      return whitespaceRun(pos, cpt, flags);
    });

/** Every `\p{N}` code point as its own word (llama.cpp runs this through std::regex on a collapsed text). */
export const splitDigits: Splitter = (cpts, lengths) => {
  const out: number[] = [];
  let start = 0;
  for (const len of lengths) {
    let run = 0;
    for (let i = start; i < start + len; i++) {
      const c = cpts[i];
      const f = cptFlags(c);
      const digit = c < 128 ? c >= 0x30 && c <= 0x39 : !(f & CPT.WHITESPACE) && (f & 0xff) === CPT.NUMBER;
      if (digit) {
        if (run > 0) out.push(run);
        out.push(1);
        run = 0;
      } else run++;
    }
    if (run > 0) out.push(run);
    start += len;
  }
  return out;
};
