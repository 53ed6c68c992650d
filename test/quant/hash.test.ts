// hashTensors: BLAKE3 of each tensor's data, computed on the pool. Checked against BLAKE3's published test
// vectors and against one-shot hashes of the same bytes; tensors a quantized file copies keep their hash.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blake3 } from 'hash-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgufFile } from '../../src/gguf/reader.ts';
import { initModel } from '../../src/model/init-model.ts';
import { hashTensors } from '../../src/quant/hash.ts';
import { QuantPool } from '../../src/quant/pool.ts';
import { quantizeFile } from '../../src/quant/quantize-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'meetara-hash-'));
const model = join(dir, 'model.gguf');
const pool = new QuantPool(2);

beforeAll(async () => {
  await initModel(model, { arch: 'llama', vocabSize: 512, dim: 256, layers: 2, heads: 4, ffn: 512, contextLength: 64 });
});

afterAll(async () => {
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('hashTensors', () => {
  it('computes BLAKE3 (published test vectors for "" and "abc")', async () => {
    const file = join(dir, 'abc.bin');
    writeFileSync(file, 'xabcx');
    expect(await pool.hash({ path: file, offset: 0, length: 0 })).toBe(
      'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262',
    );
    expect(await pool.hash({ path: file, offset: 1, length: 3 })).toBe(
      '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85',
    );
  });

  it('hashes exactly each tensor’s data bytes', async () => {
    const hashes = await hashTensors(model, { pool });
    const f = GgufFile.open(model);
    try {
      expect(hashes.map((h) => h.name)).toEqual(f.tensors.map((t) => t.name));
      for (const h of hashes) expect(h.blake3).toBe(await blake3(f.readTensorBytes(h.name)));
    } finally {
      f.close();
    }
  });

  it('gives tensors a quantized file copies the same hash, and converted ones a new one', async () => {
    const out = join(dir, 'q4.gguf');
    await quantizeFile(model, out, { type: 'Q4_K_M', pool, progress: false });
    const before = new Map((await hashTensors(model, { pool })).map((h) => [h.name, h]));
    for (const h of await hashTensors(out, { pool })) {
      const same = before.get(h.name)!.blake3 === h.blake3;
      expect(same, h.name).toBe(h.type === 'F32');
    }
  });
});
