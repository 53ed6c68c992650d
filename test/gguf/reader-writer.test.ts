import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gguf as hfGguf } from '@huggingface/gguf';
import { beforeAll, describe, expect, it } from 'vitest';
import { GGML_TYPES, GgmlType, GgufValueType } from '../../src/gguf/constants.ts';
import { kv } from '../../src/gguf/metadata.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { initModel } from '../../src/model/init-model.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir();
const modelPath = join(dir, 'tiny.gguf');

beforeAll(async () => {
  await initModel(modelPath, {
    arch: 'qwen2',
    vocabSize: 600,
    dim: 64,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    ffn: 96,
    contextLength: 256,
    seed: 7,
  });
});

describe('GGUF reader', () => {
  it('agrees with @huggingface/gguf on metadata and tensor infos', async () => {
    const theirs = await hfGguf(modelPath, { allowLocalFile: true, typedMetadata: true });
    using ours = GgufFile.open(modelPath);

    const theirKeys = Object.keys(theirs.typedMetadata).filter(
      (k) => k !== 'version' && k !== 'tensor_count' && k !== 'kv_count',
    );
    expect([...ours.metadata.keys()]).toEqual(theirKeys);
    for (const [key, value] of ours.metadata) {
      const t = theirs.typedMetadata[key as keyof typeof theirs.typedMetadata] as {
        value: unknown;
        type: number;
        subType?: number;
      };
      expect(value.type, key).toBe(t.type);
      if (value.type === GgufValueType.ARRAY) {
        expect(value.itemType, key).toBe(t.subType);
        expect(Array.from(value.value as ArrayLike<unknown>), key).toEqual(t.value);
      } else {
        expect(value.value, key).toEqual(t.value);
      }
    }
    expect(ours.tensors.length).toBe(theirs.tensorInfos.length);
    ours.tensors.forEach((t, i) => {
      const th = theirs.tensorInfos[i];
      expect(t.name).toBe(th.name);
      expect(t.ne).toEqual(th.shape.map(Number));
      expect(t.type).toBe(th.dtype);
      expect(t.offset).toBe(Number(th.offset));
    });
    expect(ours.dataOffset).toBe(Number(theirs.tensorDataOffset));
  });

  it('reads tensor bytes by name and in chunks', () => {
    using f = GgufFile.open(modelPath);
    const t = f.tensor('blk.1.attn_q.bias');
    expect(t.ne).toEqual([64]);
    const whole = f.readTensorBytes('token_embd.weight');
    const chunks = [...f.streamTensorBytes('token_embd.weight', 1000)];
    expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    const raw = readFileSync(modelPath);
    const info = f.tensor('token_embd.weight');
    expect(raw.subarray(f.dataOffset + info.offset, f.dataOffset + info.offset + info.nBytes).equals(whole)).toBe(true);
  });
});

describe('GGUF writer', () => {
  it('round-trips a file byte for byte', async () => {
    const copy = join(dir, 'copy.gguf');
    using f = GgufFile.open(modelPath);
    await writeGguf(copy, {
      metadata: f.metadata,
      tensors: f.tensors.map((t) => ({
        name: t.name,
        type: t.type,
        ne: t.ne,
        data: () => f.streamTensorBytes(t.name, 4096),
      })),
    });
    expect(readFileSync(copy).equals(readFileSync(modelPath))).toBe(true);
  });

  it('pads every tensor to the alignment and keeps offsets strict', async () => {
    const out = join(dir, 'aligned.gguf');
    const md = new Map([
      ['general.alignment', kv.u32(64)],
      ['x.odd', kv.i64(-3n)],
    ]);
    await writeGguf(out, {
      metadata: md,
      tensors: [
        { name: 'a', type: GgmlType.F32, ne: [3], data: new Uint8Array(12).fill(1) },
        { name: 'b', type: GgmlType.Q8_0, ne: [32, 2], data: new Uint8Array(68).fill(2) },
      ],
    });
    using f = GgufFile.open(out);
    expect(f.alignment).toBe(64);
    expect(f.dataOffset % 64).toBe(0);
    expect(f.tensors.map((t) => t.offset)).toEqual([0, 64]);
    expect(f.metadata.get('x.odd')?.value).toBe(-3n);
    expect(f.fileSize).toBe(f.dataOffset + 64 + 128);
    expect(f.tensor('b').nBytes).toBe(2 * GGML_TYPES[GgmlType.Q8_0].typeSize);
  });

  it('rejects a source that gives the wrong number of bytes, leaving no file behind', async () => {
    const out = join(dir, 'short.gguf');
    await expect(
      writeGguf(out, {
        metadata: new Map(),
        tensors: [{ name: 'a', type: GgmlType.F32, ne: [4], data: new Uint8Array(8) }],
      }),
    ).rejects.toThrow(/gave 8 bytes, expected 16/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('refuses rows that are not a multiple of the block size', async () => {
    await expect(
      writeGguf(join(dir, 'bad.gguf'), {
        metadata: new Map(),
        tensors: [{ name: 'a', type: GgmlType.Q4_0, ne: [48], data: new Uint8Array(27) }],
      }),
    ).rejects.toThrow(/not a multiple of Q4_0's block size 32/);
  });
});
