// Unicode facts as llama.cpp's tokenizer sees them. llama.cpp classifies code points with tables generated
// from Unicode 15.1 (src/unicode-data.cpp); JavaScript's \p{...} follows the engine's newer ICU data. We take the
// general category from \p{...} and treat code points first assigned in Unicode 16.0/17.0 as unassigned, as
// llama.cpp does. test/model/unicode.test.ts sweeps every code point through llama.cpp to pin this down.

export const CPT = {
  UNDEFINED: 0x0001,
  NUMBER: 0x0002,
  LETTER: 0x0004,
  SEPARATOR: 0x0008,
  MARK: 0x0010,
  PUNCTUATION: 0x0020,
  SYMBOL: 0x0040,
  CONTROL: 0x0080,
  WHITESPACE: 0x0100,
} as const;

/** Code points assigned in Unicode 16.0 and 17.0: unassigned (UNDEFINED) in llama.cpp's Unicode 15.1 tables. */
// biome-ignore format: a data table
const ASSIGNED_AFTER_15_1: readonly (readonly [number, number])[] = [
  [0x88f, 0x88f], [0x897, 0x897], [0xc5c, 0xc5c], [0xcdc, 0xcdc], [0x1acf, 0x1add], [0x1ae0, 0x1aeb],
  [0x1b4e, 0x1b4f], [0x1b7f, 0x1b7f], [0x1c89, 0x1c8a], [0x20c1, 0x20c1], [0x2427, 0x2429], [0x2b96, 0x2b96],
  [0x31e4, 0x31e5], [0xa7cb, 0xa7cf], [0xa7d2, 0xa7d2], [0xa7d4, 0xa7d4], [0xa7da, 0xa7dc], [0xa7f1, 0xa7f1],
  [0xfbc3, 0xfbd2], [0xfd90, 0xfd91], [0xfdc8, 0xfdce], [0x105c0, 0x105f3], [0x10940, 0x10959],
  [0x10d40, 0x10d65], [0x10d69, 0x10d85], [0x10d8e, 0x10d8f], [0x10ec2, 0x10ec7], [0x10ed0, 0x10ed8],
  [0x10efa, 0x10efc], [0x11380, 0x11389], [0x1138b, 0x1138b], [0x1138e, 0x1138e], [0x11390, 0x113b5],
  [0x113b7, 0x113c0], [0x113c2, 0x113c2], [0x113c5, 0x113c5], [0x113c7, 0x113ca], [0x113cc, 0x113d5],
  [0x113d7, 0x113d8], [0x113e1, 0x113e2], [0x116d0, 0x116e3], [0x11b60, 0x11b67], [0x11bc0, 0x11be1],
  [0x11bf0, 0x11bf9], [0x11db0, 0x11ddb], [0x11de0, 0x11de9], [0x11f5a, 0x11f5a], [0x13460, 0x143fa],
  [0x16100, 0x16139], [0x16d40, 0x16d79], [0x16ea0, 0x16eb8], [0x16ebb, 0x16ed3], [0x16ff2, 0x16ff6],
  [0x187f8, 0x187ff], [0x18cff, 0x18cff], [0x18d09, 0x18d1e], [0x18d80, 0x18df2], [0x1cc00, 0x1ccfc],
  [0x1cd00, 0x1ceb3], [0x1ceba, 0x1ced0], [0x1cee0, 0x1cef0], [0x1e5d0, 0x1e5fa], [0x1e5ff, 0x1e5ff],
  [0x1e6c0, 0x1e6de], [0x1e6e0, 0x1e6f5], [0x1e6fe, 0x1e6ff], [0x1f6d8, 0x1f6d8], [0x1f777, 0x1f77a],
  [0x1f8b2, 0x1f8bb], [0x1f8c0, 0x1f8c1], [0x1f8d0, 0x1f8d8], [0x1fa54, 0x1fa57], [0x1fa89, 0x1fa8a],
  [0x1fa8e, 0x1fa8f], [0x1fabe, 0x1fabe], [0x1fac6, 0x1fac6], [0x1fac8, 0x1fac8], [0x1facd, 0x1facd],
  [0x1fadc, 0x1fadc], [0x1fadf, 0x1fadf], [0x1fae9, 0x1faea], [0x1faef, 0x1faef], [0x1fbcb, 0x1fbef],
  [0x1fbfa, 0x1fbfa], [0x2b73a, 0x2b73f], [0x2cea2, 0x2cead], [0x323b0, 0x33479],
];

const CATEGORY_TESTS: readonly [RegExp, number][] = [
  [/\p{Cn}/u, CPT.UNDEFINED],
  [/\p{L}/u, CPT.LETTER],
  [/\p{N}/u, CPT.NUMBER],
  [/\p{M}/u, CPT.MARK],
  [/\p{P}/u, CPT.PUNCTUATION],
  [/\p{S}/u, CPT.SYMBOL],
  [/\p{Z}/u, CPT.SEPARATOR],
  [/\p{C}/u, CPT.CONTROL],
];
const WHITE_SPACE = /\p{White_Space}/u;
const COMPUTED = 0x8000;
const cache = new Uint16Array(0x110000);

function assignedAfter151(cpt: number): boolean {
  let lo = 0;
  let hi = ASSIGNED_AFTER_15_1.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ASSIGNED_AFTER_15_1[mid];
    if (cpt < a) hi = mid - 1;
    else if (cpt > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** llama.cpp's flags for a code point: one category bit plus WHITESPACE. Out-of-range code points get 0. */
export function cptFlags(cpt: number): number {
  if (cpt < 0 || cpt >= 0x110000) return 0;
  const cached = cache[cpt];
  if (cached) return cached & ~COMPUTED;
  const s = String.fromCodePoint(cpt);
  let flags: number = CPT.UNDEFINED;
  if (!assignedAfter151(cpt)) {
    for (const [re, f] of CATEGORY_TESTS) {
      if (re.test(s)) {
        flags = f;
        break;
      }
    }
  }
  if (WHITE_SPACE.test(s)) flags |= CPT.WHITESPACE;
  cache[cpt] = flags | COMPUTED;
  return flags;
}

/** Code points of a string (lone surrogates become U+FFFD, as they do on their way to llama.cpp as UTF-8). */
export function codepoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
  }
  return out;
}

// GPT-2's byte-level alphabet: printable Latin-1 bytes stand for themselves, the other 68 bytes are shifted to
// U+0100 and up, so every byte is one visible character.
const BYTE_TO_CHAR: string[] = [];
const CHAR_TO_BYTE = new Map<string, number>();
{
  const direct = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const ch = String.fromCodePoint(direct(b) ? b : 256 + n++);
    BYTE_TO_CHAR[b] = ch;
    CHAR_TO_BYTE.set(ch, b);
  }
}

/** Encodes UTF-8 bytes as GPT-2 byte characters. */
export function bytesToGpt2(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}

/** The byte a GPT-2 byte character stands for, or undefined for characters outside that alphabet. */
export const gpt2CharToByte = (ch: string): number | undefined => CHAR_TO_BYTE.get(ch);

export const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
