// A GGUF file is untrusted input: every malformed file must give a GgufFormatError, never a crash, a hang,
// an allocation sized by an unchecked length, or a read outside the file.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GgufFormatError } from '../../src/errors.ts';
import { GgmlType, GgufValueType } from '../../src/gguf/constants.ts';
import { kv } from '../../src/gguf/metadata.ts';
import { bufferSource, parseGgufHeader } from '../../src/gguf/reader.ts';
import { serializeHeader, type TensorToWrite } from '../../src/gguf/writer.ts';

/** A small, valid GGUF image in memory: a few metadata kinds, three tensors, real data. */
function validImage(): Uint8Array {
  const tensors: TensorToWrite[] = [
    { name: 'blk.0.attn_q.weight', type: GgmlType.F32, ne: [8, 4], data: new Uint8Array(128) },
    { name: 'blk.0.attn_norm.weight', type: GgmlType.F32, ne: [8], data: new Uint8Array(32) },
    { name: 'blk.0.ffn_up.weight', type: GgmlType.Q8_0, ne: [32, 2], data: new Uint8Array(68) },
  ];
  const metadata = new Map([
    ['general.architecture', kv.str('llama')],
    ['llama.block_count', kv.u32(1)],
    ['llama.rope.freq_base', kv.f32(10000)],
    ['tokenizer.ggml.tokens', kv.strings(['<unk>', 'a', 'b'])],
    ['tokenizer.ggml.scores', kv.f32s([0, -1, -2])],
    ['some.u64', kv.u64(12345678901234n)],
  ]);
  const { header, tensors: planned } = serializeHeader({ metadata, tensors });
  const dataSize = planned.reduce((s, t) => Math.max(s, t.offset + Math.ceil(t.nBytes / 32) * 32), 0);
  const out = new Uint8Array(header.byteLength + dataSize);
  out.set(header);
  for (const t of planned)
    out.set(
      (t.data as Uint8Array).map((_, i) => (i * 7) & 0xff),
      header.byteLength + t.offset,
    );
  return out;
}

const parse = (b: Uint8Array) => parseGgufHeader(bufferSource(b));
const image = validImage();
const header = parse(image);
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Byte offset where tensor info #i begins (name length field). */
function tensorInfoOffset(i: number): number {
  let pos = 24;
  const dv = view(image);
  const skipString = () => {
    pos += 8 + Number(dv.getBigUint64(pos, true));
  };
  const skipValue = (type: number) => {
    const sizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
    if (type === GgufValueType.STRING) return skipString();
    if (type === GgufValueType.ARRAY) {
      const item = dv.getUint32(pos, true);
      const n = Number(dv.getBigUint64(pos + 4, true));
      pos += 12;
      for (let k = 0; k < n; k++) skipValue(item);
      return;
    }
    pos += sizes[type];
  };
  for (let k = 0; k < header.metadata.size; k++) {
    skipString();
    const type = dv.getUint32(pos, true);
    pos += 4;
    skipValue(type);
  }
  for (let t = 0; t < i; t++) {
    skipString();
    const nDims = dv.getUint32(pos, true);
    pos += 4 + 8 * nDims + 4 + 8;
  }
  return pos;
}

function mutate(f: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const b = image.slice();
  f(view(b), b);
  return b;
}

/** Fields of tensor info #i: [nameLen, name, nDims, ne..., type, offset] positions. */
function tensorFields(i: number) {
  const at = tensorInfoOffset(i);
  const nameLen = Number(view(image).getBigUint64(at, true));
  const nDimsAt = at + 8 + nameLen;
  const nDims = view(image).getUint32(nDimsAt, true);
  const neAt = nDimsAt + 4;
  const typeAt = neAt + 8 * nDims;
  return { at, nDimsAt, neAt, typeAt, offsetAt: typeAt + 4 };
}

describe('malformed GGUF files', () => {
  it('the fixture itself is valid', () => {
    expect(header.tensors.map((t) => t.name)).toEqual([
      'blk.0.attn_q.weight',
      'blk.0.attn_norm.weight',
      'blk.0.ffn_up.weight',
    ]);
  });

  const cases: [string, () => Uint8Array, RegExp][] = [
    ['wrong magic', () => mutate((_dv, b) => b.set([0x47, 0x47, 0x55, 0x47], 0)), /not a GGUF file: magic/],
    ['unsupported version', () => mutate((dv) => dv.setUint32(4, 4, true)), /unsupported GGUF version 4/],
    ['version 1', () => mutate((dv) => dv.setUint32(4, 1, true)), /unsupported GGUF version 1/],
    ['big-endian file', () => mutate((dv) => dv.setUint32(4, 3, false)), /big-endian/],
    ['empty file', () => new Uint8Array(0), /magic at offset 0 needs 4 bytes/],
    ['truncated in the header', () => image.slice(0, 20), /tensor count at offset 8 is 3, larger than possible/],
    ['truncated in the data', () => image.slice(0, image.length - 40), /past end of file/],
    [
      'tensor count beyond the file',
      () => mutate((dv) => dv.setBigUint64(8, 1n << 40n, true)),
      /tensor count at offset 8 is/,
    ],
    [
      'string length beyond the file',
      () => mutate((dv) => dv.setBigUint64(24, 1n << 50n, true)),
      /metadata key #0 length at offset 24 is \d+, larger than possible/,
    ],
    [
      'array length beyond the file',
      () =>
        mutate((dv, b) => {
          // tokenizer.ggml.tokens is KV #3: find its array count by scanning for the key.
          const key = Buffer.from('tokenizer.ggml.tokens');
          const at = Buffer.from(b).indexOf(key) + key.length + 4 + 4;
          dv.setBigUint64(at, 1n << 45n, true);
        }),
      /array length of 'tokenizer.ggml.tokens' at offset \d+ is \d+, larger than possible/,
    ],
    [
      'unknown value type',
      () =>
        mutate((dv, b) => {
          const key = Buffer.from('llama.block_count');
          dv.setUint32(Buffer.from(b).indexOf(key) + key.length, 13, true);
        }),
      /type of 'llama.block_count' at offset \d+ has unknown value type 13/,
    ],
    [
      'nested array',
      () =>
        mutate((dv, b) => {
          const key = Buffer.from('tokenizer.ggml.scores');
          dv.setUint32(Buffer.from(b).indexOf(key) + key.length + 4, GgufValueType.ARRAY, true);
        }),
      /nested arrays are not allowed/,
    ],
    [
      'duplicate key',
      () => {
        const md = new Map([
          ['a.key', kv.u32(1)],
          ['b.key', kv.u32(2)],
        ]);
        const b = serializeHeader({ metadata: md, tensors: [] }).header.slice();
        b.set(Buffer.from('a.key'), Buffer.from(b).indexOf(Buffer.from('b.key')));
        return b;
      },
      /duplicate metadata key 'a.key'/,
    ],
    ['unknown ggml type', () => mutate((dv) => dv.setUint32(tensorFields(1).typeAt, 4, true)), /unknown ggml type 4/],
    ['n_dims > 4', () => mutate((dv) => dv.setUint32(tensorFields(0).nDimsAt, 5, true)), /has 5 dimensions/],
    [
      'ne0 not divisible by the block size',
      () => mutate((dv) => dv.setBigUint64(tensorFields(2).neAt, 48n, true)),
      /row length ne\[0\]=48, not a multiple of its block size 32/,
    ],
    [
      'duplicate tensor name',
      () => mutate((_dv, b) => b.set(Buffer.from('blk.0.ffn_up.weight'), tensorFields(0).at + 8)),
      /duplicate tensor name 'blk.0.ffn_up.weight'/,
    ],
    [
      'misaligned offset',
      () => mutate((dv) => dv.setBigUint64(tensorFields(1).offsetAt, 130n, true)),
      /offset 130 is not a multiple of the alignment 32/,
    ],
    [
      'overlapping offsets',
      () => mutate((dv) => dv.setBigUint64(tensorFields(1).offsetAt, 96n, true)),
      /overlaps tensor 'blk.0.attn_q.weight'/,
    ],
    [
      'offset past end of file',
      () => mutate((dv) => dv.setBigUint64(tensorFields(2).offsetAt, 1234n * 32n, true)),
      /tensor 'blk.0.ffn_up.weight' offset 39488 \+ 68 bytes is past end of file/,
    ],
  ];

  for (const [name, make, message] of cases) {
    it(`rejects: ${name}`, () => {
      expect(() => parse(make())).toThrow(GgufFormatError);
      expect(() => parse(make())).toThrow(message);
    });
  }

  it('rejects a bad alignment value', () => {
    for (const [value, message] of [
      [kv.u32(0), /alignment 0 is not a power of 2/],
      [kv.u32(48), /alignment 48 is not a power of 2/],
      [kv.i32(32), /general.alignment must be UINT32/],
    ] as const) {
      const { header: h } = serializeHeader({
        metadata: new Map([['general.alignment', kv.u32(32)]]),
        tensors: [],
      });
      const b = h.slice();
      const at = Buffer.from(b).indexOf(Buffer.from('general.alignment')) + 'general.alignment'.length;
      view(b).setUint32(at, value.type, true);
      view(b).setUint32(at + 4, value.value as number, true);
      expect(() => parse(b)).toThrow(message);
    }
  });

  it('property: any truncation or byte flip gives a GgufFormatError or a consistent parse', () => {
    const check = (b: Uint8Array) => {
      try {
        const h = parse(b);
        // If it parses, every tensor must lie inside the file.
        for (const t of h.tensors) expect(h.dataOffset + t.offset + t.nBytes).toBeLessThanOrEqual(b.byteLength);
      } catch (err) {
        if (!(err instanceof GgufFormatError)) throw err;
      }
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: image.length - 1 }), (cut) => check(image.slice(0, cut))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: image.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (flips) =>
          check(
            mutate((_dv, b) => {
              for (const [at, v] of flips) b[at] = v;
            }),
          ),
      ),
      { numRuns: 2000 },
    );
  });
});
