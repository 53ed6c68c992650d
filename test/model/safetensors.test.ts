// safetensors: our writer against the format (a file built by hand from the format's definition parses alike),
// single and sharded reads, each malformed case refused with a message naming file and field, and a fast-check
// property: truncated or bit-flipped files only ever raise SafetensorsFormatError.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../src/gguf/reader.ts';
import {
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  SafetensorsCheckpoint,
  SafetensorsFile,
  SafetensorsFormatError,
  writeSafetensors,
} from '../../src/model/safetensors.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('meetara-safetensors-');

/** A safetensors file built by hand from a header object and a data buffer. */
function handmade(header: unknown, data: Uint8Array, headerLen?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

const parse = (bytes: Uint8Array) => parseSafetensorsHeader(bufferSource(bytes), 'x.safetensors');

describe('safetensors', () => {
  it('writes files the format describes and reads them back', async () => {
    const path = join(dir, 'rw.safetensors');
    const a = Float32Array.from({ length: 6 }, (_, i) => i / 3);
    const b = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // f16 1.0, -2.0
    await writeSafetensors(
      path,
      [
        { name: 'a', dtype: 'F32', shape: [2, 3], data: a },
        { name: 'b', dtype: 'F16', shape: [2], data: b },
      ],
      { format: 'pt' },
    );
    const f = SafetensorsFile.open(path);
    try {
      expect(f.metadata).toEqual({ format: 'pt' });
      expect(f.dataOffset % 8).toBe(0);
      expect(f.tensor('a')).toMatchObject({ dtype: 'F32', shape: [2, 3], nBytes: 24 });
      expect(new Float32Array(f.readBytes('a').buffer)).toEqual(a);
      expect(f.readBytes('b')).toEqual(b);
    } finally {
      f.close();
    }
    // The same bytes, built by hand from the format's definition, parse to the same tensors.
    const data = new Uint8Array(28);
    data.set(new Uint8Array(a.buffer), 0);
    data.set(b, 24);
    const h = parse(
      handmade(
        {
          a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
          b: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
        },
        data,
      ),
    );
    expect(h.tensors.map((t) => [t.name, t.nBytes])).toEqual([
      ['a', 24],
      ['b', 4],
    ]);
  });

  it('reads sharded checkpoints through model.safetensors.index.json', async () => {
    const shard = join(dir, 'sharded');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(shard);
    await writeSafetensors(join(shard, 'model-00001-of-00002.safetensors'), [
      { name: 'x', dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) },
    ]);
    await writeSafetensors(join(shard, 'model-00002-of-00002.safetensors'), [
      { name: 'y', dtype: 'BF16', shape: [1], data: Uint8Array.of(0x80, 0x3f) },
    ]);
    const index = {
      metadata: { total_size: 10 },
      weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' },
    };
    writeFileSync(join(shard, 'model.safetensors.index.json'), JSON.stringify(index));
    const ckpt = SafetensorsCheckpoint.open(shard);
    try {
      expect(ckpt.names.sort()).toEqual(['x', 'y']);
      expect(ckpt.readBytes('y')).toEqual(Uint8Array.of(0x80, 0x3f));
    } finally {
      ckpt.close();
    }
    writeFileSync(
      join(shard, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { ...index.weight_map, x: 'model-00002-of-00002.safetensors' } }),
    );
    expect(() => SafetensorsCheckpoint.open(shard)).toThrow(/weight_map\.x/);
  });

  const ok = { t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than the length field', new Uint8Array(5), /too short/],
    ['header past the end', handmade(ok, new Uint8Array(8), 1000n), /header length 1000 .*past the end/],
    ['oversize header', handmade(ok, new Uint8Array(8), BigInt(MAX_HEADER_BYTES) + 1n), /exceeds/],
    ['header not JSON', handmade('{"t": [', new Uint8Array(8)), /not valid JSON/],
    ['header not an object', handmade('[1, 2]', new Uint8Array(8)), /must be a JSON object/],
    [
      'unknown dtype',
      handmade({ t: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /'dtype' is unknown/,
    ],
    [
      'unsupported dtype',
      handmade({ t: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /'dtype' is I64, which is not supported/,
    ],
    ['bad shape', handmade({ t: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, new Uint8Array(8)), /'shape'/],
    [
      'offsets not a pair',
      handmade({ t: { dtype: 'F32', shape: [2], data_offsets: [0] } }, new Uint8Array(8)),
      /data_offsets/,
    ],
    [
      'size mismatch',
      handmade({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12)),
      /needs 12/,
    ],
    [
      'end before begin',
      handmade({ t: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, new Uint8Array(8)),
      /ends before/,
    ],
    [
      'offsets past the data',
      handmade({ t: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, new Uint8Array(8)),
      /past the end of the data/,
    ],
    [
      'overlapping tensors',
      handmade(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      ),
      /'b'.*overlaps tensor 'a'/,
    ],
    ['bad metadata', handmade({ __metadata__: { a: 1 } }, new Uint8Array(0)), /__metadata__\.a/],
  ];
  it.each(cases)('refuses %s with a one-line error naming the file', (_name, bytes, message) => {
    let err: unknown;
    try {
      parse(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsFormatError);
    expect((err as Error).message).toMatch(/^x\.safetensors: /);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('only ever raises SafetensorsFormatError on truncated or corrupted files (fast-check)', async () => {
    const path = join(dir, 'fuzz.safetensors');
    await writeSafetensors(
      path,
      [
        { name: 'w', dtype: 'F32', shape: [4, 2], data: new Float32Array(8).fill(0.5) },
        { name: 'b', dtype: 'BF16', shape: [3], data: new Uint8Array(6) },
      ],
      { format: 'pt' },
    );
    const { readFileSync } = await import('node:fs');
    const good = new Uint8Array(readFileSync(path));
    fc.assert(
      fc.property(
        fc.nat({ max: good.byteLength }),
        fc.array(fc.tuple(fc.nat({ max: good.byteLength - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (cut, flips) => {
          const bytes = good.slice(0, cut);
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          try {
            const h = parse(bytes);
            for (const t of h.tensors) expect(t.start + t.nBytes).toBeLessThanOrEqual(bytes.byteLength);
          } catch (err) {
            if (!(err instanceof SafetensorsFormatError)) throw err;
          }
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });
});
