// Weights read as f32 from GGUF files of every type src/quant writes agree with ggml's own dequantize_row_*.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GGML_TYPES, GgmlType } from '../../src/gguf/constants.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { readTensorF32 } from '../../src/model/weights.ts';
import { quantize } from '../../src/quant/codecs.ts';
import { Rng } from '../../src/util/random.ts';
import { tempDir } from '../helpers/temp.ts';
import { ggmlBf16ToFp32, ggmlDequantizeRow, ggmlFp16ToFp32 } from '../quant/ggml-oracle.ts';

const TYPES = [
  GgmlType.F32,
  GgmlType.F16,
  GgmlType.BF16,
  GgmlType.Q8_0,
  GgmlType.Q4_0,
  GgmlType.Q5_1,
  GgmlType.Q4_K,
  GgmlType.Q6_K,
  GgmlType.Q2_K,
];

describe('readTensorF32', () => {
  it('dequantizes every stored type exactly as ggml does', async () => {
    const path = join(tempDir('meetara-weights-'), 'types.gguf');
    const rng = new Rng(1);
    const values = Float32Array.from({ length: 512 * 2 }, () => rng.normal());
    const stored = TYPES.map((type) => ({ type, bytes: quantize(type, values) }));
    await writeGguf(path, {
      metadata: new Map(),
      tensors: stored.map(({ type, bytes }) => ({ name: GGML_TYPES[type].name, type, ne: [512, 2], data: bytes })),
    });
    const f = GgufFile.open(path);
    try {
      for (const { type, bytes } of stored) {
        const expected =
          type === GgmlType.F32
            ? values
            : type === GgmlType.F16
              ? ggmlFp16ToFp32(new Uint16Array(bytes.buffer))
              : type === GgmlType.BF16
                ? ggmlBf16ToFp32(new Uint16Array(bytes.buffer))
                : ggmlDequantizeRow(type, bytes, values.length);
        expect(readTensorF32(f, GGML_TYPES[type].name), GGML_TYPES[type].name).toEqual(expected);
      }
    } finally {
      f.close();
    }
  });
});
