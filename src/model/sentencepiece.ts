// SentencePiece `tokenizer.model` files (a protobuf ModelProto), the part an SPM vocabulary needs: each piece's
// text, score and type, the model type and the dummy-prefix flag. Llama 2, TinyLlama and Mistral checkpoints ship
// one; it is the only HF file that carries SPM scores, so convert reads it and exportHf writes it.

import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';

/** Piece types; the same numbers GGUF uses for `tokenizer.ggml.token_type`. */
export interface SentencePiece {
  readonly piece: string;
  readonly score: number;
  readonly type: number;
}

export interface SentencePieceModel {
  readonly pieces: readonly SentencePiece[];
  /** trainer_spec.model_type: 1 unigram, 2 BPE, 3 word, 4 char. */
  readonly modelType: number;
  readonly byteFallback: boolean;
  readonly addDummyPrefix: boolean;
}

export const SP_MODEL_TYPES: Record<number, string> = { 1: 'UNIGRAM', 2: 'BPE', 3: 'WORD', 4: 'CHAR' };

// Protobuf wire types.
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly where: string,
    private readonly end = buf.byteLength,
  ) {}
  fail(msg: string): never {
    throw new InputError(`${this.where}: ${msg} at offset ${this.pos} (not a SentencePiece model?)`);
  }
  get done() {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return this.fail('varint too long');
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (n > this.end - this.pos) this.fail(`field of ${n} bytes runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  fixed32(): DataView {
    if (this.end - this.pos < 4) this.fail('truncated fixed32');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4);
    this.pos += 4;
    return v;
  }
  /** Reads a field tag and calls `on(field, wire)`; unhandled fields are skipped. */
  fields(on: (field: number, wire: number) => boolean): void {
    while (!this.done) {
      const tag = this.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (on(field, wire)) continue;
      if (wire === VARINT) this.varint();
      else if (wire === BYTES) this.bytes();
      else if (wire === FIXED32) this.fixed32();
      else if (wire === FIXED64) {
        if (this.end - this.pos < 8) this.fail('truncated fixed64');
        this.pos += 8;
      } else this.fail(`unsupported wire type ${wire}`);
    }
  }
}

const text = new TextDecoder('utf-8', { fatal: true });

export function parseSentencePieceModel(buf: Uint8Array, where = 'tokenizer.model'): SentencePieceModel {
  const pieces: SentencePiece[] = [];
  let modelType = 1; // proto default: UNIGRAM
  let byteFallback = false;
  let addDummyPrefix = true;
  const top = new Reader(buf, where);
  top.fields((field, wire) => {
    if (wire !== BYTES) return false;
    const body = top.bytes();
    const r = new Reader(body, where);
    if (field === 1) {
      let piece = '';
      let score = 0;
      let type = 1; // NORMAL
      r.fields((f, w) => {
        if (f === 1 && w === BYTES) {
          try {
            piece = text.decode(r.bytes());
          } catch {
            r.fail('piece text is not valid UTF-8');
          }
        } else if (f === 2 && w === FIXED32) score = r.fixed32().getFloat32(0, true);
        else if (f === 3 && w === VARINT) type = r.varint();
        else return false;
        return true;
      });
      pieces.push({ piece, score, type });
    } else if (field === 2) {
      r.fields((f, w) => {
        if (f === 3 && w === VARINT) modelType = r.varint();
        else if (f === 35 && w === VARINT) byteFallback = r.varint() !== 0;
        else return false;
        return true;
      });
    } else if (field === 3) {
      r.fields((f, w) => {
        if (f === 3 && w === VARINT) addDummyPrefix = r.varint() !== 0;
        else return false;
        return true;
      });
    }
    return true;
  });
  if (pieces.length === 0) throw new InputError(`${where}: field 'pieces' is empty (not a SentencePiece model?)`);
  return { pieces, modelType, byteFallback, addDummyPrefix };
}

export function readSentencePieceModel(path: string): SentencePieceModel {
  return parseSentencePieceModel(readFileSync(path), path);
}

/** Grows a protobuf message. */
class Writer {
  private parts: number[] = [];
  varint(v: number): this {
    let x = v;
    while (x >= 0x80) {
      this.parts.push((x % 128) | 0x80);
      x = Math.floor(x / 128);
    }
    this.parts.push(x);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, BYTES).varint(b.byteLength);
    for (const x of b) this.parts.push(x);
    return this;
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, FIXED32);
    for (const x of b) this.parts.push(x);
    return this;
  }
  uint(field: number, v: number): this {
    return this.tag(field, VARINT).varint(v);
  }
  result(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function serializeSentencePieceModel(m: SentencePieceModel): Uint8Array {
  const w = new Writer();
  for (const p of m.pieces) {
    const piece = new Writer().bytes(1, Buffer.from(p.piece, 'utf8')).float(2, p.score).uint(3, p.type).result();
    w.bytes(1, piece);
  }
  const trainer = new Writer()
    .uint(3, m.modelType)
    .uint(4, m.pieces.length)
    .uint(35, m.byteFallback ? 1 : 0);
  w.bytes(2, trainer.result());
  const normalizer = new Writer()
    .bytes(1, Buffer.from('identity'))
    .uint(3, m.addDummyPrefix ? 1 : 0)
    .uint(4, 0)
    .uint(5, 1);
  w.bytes(3, normalizer.result());
  return w.result();
}

export async function writeSentencePieceModel(path: string, m: SentencePieceModel): Promise<void> {
  await writeFileAtomic(path, serializeSentencePieceModel(m));
}
