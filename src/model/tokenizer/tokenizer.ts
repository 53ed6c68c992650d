// The tokenizer a GGUF model carries, identical to llama.cpp's llama_tokenize / llama_token_to_piece /
// llama_detokenize: special tokens are cut out of the raw text first, the text between them goes through SPM or
// BPE, and BOS/EOS are added as the model asks. test/model/tokenizer.test.ts compares it with llama.cpp.

import { GgufFile } from '../../gguf/reader.ts';
import { tokenizeBpe } from './bpe.ts';
import { tokenizeSpm } from './spm.ts';
import { gpt2CharToByte, utf8 } from './unicode.ts';
import { TokenAttr, type Vocab, vocabFromGguf } from './vocab.ts';

export interface TokenizeOptions {
  /** Add BOS/EOS where the model asks for them (llama.cpp's add_special). Default false. */
  readonly addSpecial?: boolean;
  /** Turn special-token text such as `<|im_start|>` into its token (llama.cpp's parse_special). Default false. */
  readonly parseSpecial?: boolean;
}

export interface DetokenizeOptions {
  /** Drop a leading BOS / trailing EOS the model would have added. Default false. */
  readonly removeSpecial?: boolean;
  /** Render control tokens as their text. Default false (they render as nothing). */
  readonly unparseSpecial?: boolean;
}

type Fragment = string | number; // raw text, or a token already decided

const SPECIAL_ATTRS = TokenAttr.UNKNOWN | TokenAttr.CONTROL;
const isCSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d); // C isspace in the "C" locale
const LONE_SURROGATE = /\p{Cs}/u;

export class Tokenizer {
  private readonly pieces: (Uint8Array | undefined)[];

  constructor(readonly vocab: Vocab) {
    this.pieces = new Array(vocab.tokens.length);
  }

  /** Reads the tokenizer from a GGUF file's metadata (no tensor data is touched). */
  static fromGgufFile(path: string): Tokenizer {
    const file = GgufFile.open(path);
    try {
      return new Tokenizer(vocabFromGguf(file.metadata, path));
    } finally {
      file.close();
    }
  }

  get size(): number {
    return this.vocab.tokens.length;
  }

  tokenize(text: string, options: TokenizeOptions = {}): number[] {
    const v = this.vocab;
    // Lone surrogates reach llama.cpp as U+FFFD (UTF-8 encoding replaces them), which a vocabulary may hold.
    if (LONE_SURROGATE.test(text)) text = text.replace(/\p{Cs}/gu, '\uFFFD');
    const addSpecial = options.addSpecial ?? false;
    const out: number[] = [];
    if (addSpecial && v.addBos) out.push(v.bos);
    let prevSpecial = true; // SPM: text at the start or after a special token gets a space prefix
    for (const fragment of this.partition(text, options.parseSpecial ?? false)) {
      if (typeof fragment === 'number') {
        out.push(fragment);
        prevSpecial = true;
        continue;
      }
      if (v.model === 'llama') {
        const prefixed = v.addSpacePrefix && prevSpecial ? ` ${fragment}` : fragment;
        tokenizeSpm(v, prefixed.replaceAll(' ', '▁'), out);
      } else {
        tokenizeBpe(v, v.escapeWhitespaces ? fragment.replaceAll(' ', '▁') : fragment, out);
      }
      prevSpecial = false;
    }
    if (addSpecial && v.addEos) out.push(v.eos);
    return out;
  }

  /** Cuts special tokens out of the text, longest first (llama.cpp's tokenizer_st_partition). */
  private partition(text: string, parseSpecial: boolean): Fragment[] {
    const v = this.vocab;
    let fragments: Fragment[] = text.length > 0 ? [text] : [];
    for (const id of v.specialTokens) {
      const attr = v.attrs[id];
      // Without parse_special only user-defined tokens are matched.
      if (!parseSpecial && attr & SPECIAL_ATTRS) continue;
      const token = v.tokens[id];
      const next: Fragment[] = [];
      for (const f of fragments) {
        if (typeof f === 'number') {
          next.push(f);
          continue;
        }
        let from = 0;
        for (let at = f.indexOf(token); at >= 0; at = f.indexOf(token, from)) {
          let leftEnd = at;
          if (attr & TokenAttr.LSTRIP) while (leftEnd > from && isCSpace(f.charCodeAt(leftEnd - 1))) leftEnd--;
          if (leftEnd > from) next.push(f.slice(from, leftEnd));
          next.push(id);
          from = at + token.length;
          if (attr & TokenAttr.RSTRIP) while (from < f.length && isCSpace(f.charCodeAt(from))) from++;
        }
        if (from < f.length) next.push(from === 0 ? f : f.slice(from));
      }
      fragments = next;
    }
    return fragments;
  }

  /** The bytes a token stands for when rendered with special tokens shown (llama.cpp's piece cache). */
  pieceBytes(id: number): Uint8Array {
    const cached = this.pieces[id];
    if (cached) return cached;
    const v = this.vocab;
    const attr = v.attrs[id] ?? TokenAttr.UNDEFINED;
    const text = v.tokens[id] ?? '';
    let piece: Uint8Array;
    if (attr & (SPECIAL_ATTRS | TokenAttr.USER_DEFINED)) piece = utf8(text);
    else if (attr & TokenAttr.NORMAL) {
      piece = v.escapeWhitespaces ? utf8(text.replaceAll('▁', ' ')) : decodeGpt2Text(text);
    } else if (attr & TokenAttr.BYTE) {
      piece = Uint8Array.of(parseHexPrefix(text.slice(3, 5)));
    } else piece = new Uint8Array(0);
    this.pieces[id] = piece;
    return piece;
  }

  /** One token's text (llama_token_to_piece). Control and unknown tokens render empty unless `special`. */
  tokenToPiece(id: number, special = true): string {
    if (!special && this.vocab.attrs[id] & SPECIAL_ATTRS) return '';
    return new TextDecoder().decode(this.pieceBytes(id));
  }

  /** Tokens back to text (llama_detokenize), including its clean-up of spaces before punctuation. */
  detokenize(ids: readonly number[], options: DetokenizeOptions = {}): string {
    const v = this.vocab;
    let tokens = ids;
    let removeSpace = v.addSpacePrefix;
    if (options.removeSpecial && v.addBos && tokens.length > 0 && tokens[0] === v.bos) {
      removeSpace = false;
      tokens = tokens.slice(1);
    }
    if (options.removeSpecial && v.addEos && tokens.length > 0 && tokens[tokens.length - 1] === v.eos) {
      tokens = tokens.slice(0, -1);
    }
    const bytes: number[] = [];
    for (const id of tokens) {
      if (!(!options.unparseSpecial && v.attrs[id] & SPECIAL_ATTRS)) {
        const piece = this.pieceBytes(id);
        const skip = removeSpace && piece[0] === 0x20 ? 1 : 0;
        for (let i = skip; i < piece.length; i++) bytes.push(piece[i]);
      }
      removeSpace = false;
    }
    const text = v.cleanSpaces ? cleanSpaces(bytes) : bytes;
    return new TextDecoder().decode(Uint8Array.from(text));
  }
}

/** GPT-2 byte characters back to bytes; characters outside the alphabet are flagged as llama.cpp does. */
function decodeGpt2Text(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = gpt2CharToByte(ch);
    if (b !== undefined) {
      out.push(b);
      continue;
    }
    const hex = Array.from(utf8(ch), (x) => x.toString(16).padStart(2, '0')).join('');
    out.push(...utf8(`[UNK_BYTE_0x${hex}${text}]`));
  }
  return Uint8Array.from(out);
}

/** strtol(s, 16) on a two-character string: the value of its leading hex digits (0 if none). */
function parseHexPrefix(s: string): number {
  const m = /^[0-9a-fA-F]+/.exec(s);
  return m ? Number.parseInt(m[0], 16) : 0;
}

const code = (s: string) => s.charCodeAt(0);

/**
 * llama.cpp's clean_up_tokenization_spaces, three in-place passes over the bytes: drop the space before ? ! . ,
 * drop the spaces around a lone ' and before 's 'm 're 've. It is run in place, as there, because later reads
 * see earlier writes.
 */
function cleanSpaces(input: number[]): number[] {
  const t = input.slice();
  const SP = 0x20;
  const Q = code("'");
  let total = t.length;

  let n = total;
  total = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SP && (x === code('?') || x === code('!') || x === code('.') || x === code(','))) total--;
    t[total++] = x;
  }

  n = total;
  total = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (x === Q && i + 1 < n && t[i - 1] === SP && t[i + 1] === SP) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
  }

  n = total;
  total = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SP && x === Q && i + 1 < n) {
      const x1 = t[i + 1];
      if (x1 === code('s') || x1 === code('m')) total--;
      else if (x1 !== code('t') && x1 !== code('d') && i + 2 < n) {
        const x2 = t[i + 2];
        if ((x1 === code('r') && x2 === code('e')) || (x1 === code('v') && x2 === code('e'))) total--;
      }
    }
    t[total++] = x;
  }
  return t.slice(0, total);
}
