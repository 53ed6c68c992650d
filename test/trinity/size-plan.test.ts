// The size plan predicts, before training, the exact bytes of every file a LoRA run and its lite quantization
// write. Each case predicts first, then trains for real (2 steps), quantizes the merged model with quantizeFile,
// and compares the predictions with the file sizes on disk, byte for byte.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { GgmlType } from '../../src/gguf/constants.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { type InitModelOptions, initModel } from '../../src/model/init-model.ts';
import { quantizeFile } from '../../src/quant/quantize-file.ts';
import { ADAPTER_FILE, MERGED_FILE } from '../../src/trainer/export.ts';
import { finetune } from '../../src/trainer/finetune.ts';
import type { LoraTarget } from '../../src/trainer/lora.ts';
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from '../../src/trainer/peft.ts';
import { type OutputSizes, predictOutputSizes } from '../../src/trinity/size-plan.ts';
import { tempDir } from '../helpers/temp.ts';
import { chatData, TINY } from '../trainer/fixtures.ts';

const dir = tempDir('meetara-size-plan-');
let data: { train: string; held: string };
beforeAll(() => {
  data = chatData(dir);
});

const sizeOf = (path: string) => statSync(path).size;

interface Case {
  readonly name: string;
  readonly model: InitModelOptions;
  readonly rank: number;
  readonly alpha: number;
  readonly targets?: readonly LoraTarget[];
  readonly mergedType: string;
  readonly liteTypes: readonly string[];
}

const CASES: Case[] = [
  {
    // Rows of 64 and 128: every K-quant falls back to a 32-block type (Q5_0, Q8_0, ...).
    name: 'llama, untied, all targets, F16 merge',
    model: { ...TINY, seed: 1 },
    rank: 4,
    alpha: 8,
    mergedType: 'F16',
    liteTypes: ['Q4_K_M', 'Q8_0'],
  },
  {
    // Rows of 256 and 512: the K-quant mixes apply as they are (Q4_K, Q6_K on the tied embeddings and attn_v).
    name: 'qwen2, tied embeddings, biases, three targets, F32 merge',
    model: { ...TINY, arch: 'qwen2', dim: 256, ffn: 512, tiedEmbeddings: true, seed: 2 },
    rank: 8,
    alpha: 32,
    targets: ['q', 'v', 'down'],
    mergedType: 'F32',
    liteTypes: ['Q4_K_M', 'Q5_K_S'],
  },
  {
    // Rows of 52: no block type fits, so every quantized tensor falls back to F16, and tensors of 52·4 or 52·3·4
    // bytes are not multiples of the 32-byte alignment, so the padding counts.
    name: 'llama, rows of 52, rank 3, BF16 merge',
    model: { ...TINY, dim: 52, heads: 2, kvHeads: 1, ffn: 100, seed: 4 },
    rank: 3,
    alpha: 5,
    targets: ['k', 'o', 'gate', 'up'],
    mergedType: 'BF16',
    liteTypes: ['Q4_K_M', 'Q8_0'],
  },
];

describe.each(CASES)('predicted output sizes equal the files a real run writes: $name', (c) => {
  const out = join(dir, c.name.replace(/\W+/g, '-'));
  let base: string;
  const predicted = new Map<string, OutputSizes>();

  beforeAll(async () => {
    base = join(dir, `${c.model.arch}-${c.model.dim}.gguf`);
    await initModel(base, c.model);
    // Predict before any training has happened.
    for (const liteType of c.liteTypes) {
      predicted.set(
        liteType,
        predictOutputSizes({
          base,
          rank: c.rank,
          alpha: c.alpha,
          targets: c.targets,
          mergedType: c.mergedType,
          liteType,
        }),
      );
    }
    await finetune({
      base,
      data: data.train,
      out,
      backend: 'wasm',
      workers: 1,
      steps: 2,
      batch: 2,
      gradAccum: 1,
      seqLen: 64,
      rank: c.rank,
      alpha: c.alpha,
      targets: c.targets,
      mergedType: c.mergedType,
      log: () => {},
    });
  });

  it('adapter.gguf, adapter_model.safetensors and adapter_config.json to the byte', () => {
    for (const p of predicted.values()) {
      expect(p.adapterGguf).toBe(sizeOf(join(out, ADAPTER_FILE)));
      expect(p.peftSafetensors).toBe(sizeOf(join(out, PEFT_WEIGHTS_FILE)));
      expect(p.peftConfig).toBe(sizeOf(join(out, PEFT_CONFIG_FILE)));
    }
  });

  it(`the merged model (${c.mergedType}) to the byte`, () => {
    for (const p of predicted.values()) expect(p.full).toBe(sizeOf(join(out, MERGED_FILE)));
  });

  it.each(c.liteTypes)('the lite model quantized to %s to the byte', async (liteType) => {
    const lite = join(out, `lite-${liteType}.gguf`);
    const result = await quantizeFile(join(out, MERGED_FILE), lite, { type: liteType, progress: false, threads: 1 });
    expect(predicted.get(liteType)?.lite).toBe(sizeOf(lite));
    expect(result.outputBytes).toBe(sizeOf(lite));
    // The case really uses the types it claims to: K-quants where rows allow them, fallbacks where they do not.
    const file = GgufFile.open(lite);
    const types = new Set(file.tensors.map((t) => t.type));
    file.close();
    if (c.model.dim % 256 === 0 && liteType.includes('_K'))
      expect(types.has(GgmlType.Q4_K) || types.has(GgmlType.Q5_K)).toBe(true);
    if (c.model.dim % 256 !== 0) expect(types.has(GgmlType.Q4_K)).toBe(false);
    if (c.model.dim % 32 !== 0) expect(types.has(GgmlType.F16)).toBe(true);
  });
});

describe('predictOutputSizes', () => {
  let base: string;
  beforeAll(async () => {
    base = join(dir, 'plain.gguf');
    await initModel(base, { ...TINY, seed: 3 });
  });

  it('grows the adapters with the rank by exactly the LoRA tensor bytes', () => {
    const r4 = predictOutputSizes({ base, rank: 4, liteType: 'Q8_0' });
    const r8 = predictOutputSizes({ base, rank: 8, liteType: 'Q8_0' });
    // Per layer, A and B of all seven projections hold r·(n_in + n_out) F32 values.
    const q = TINY.heads * (TINY.dim / TINY.heads);
    const kv = TINY.kvHeads * (TINY.dim / TINY.heads);
    const perRank = TINY.layers * (2 * (TINY.dim + q) + 2 * (TINY.dim + kv) + 3 * (TINY.dim + TINY.ffn)) * 4;
    expect(r8.adapterGguf - r4.adapterGguf).toBe(4 * perRank);
    expect(r8.peftSafetensors - r4.peftSafetensors).toBeGreaterThanOrEqual(4 * perRank);
    expect(r8.peftSafetensors - r4.peftSafetensors).toBeLessThan(4 * perRank + 16);
    expect(r8.full).toBe(r4.full);
    expect(r8.lite).toBe(r4.lite);
  });

  it('refuses unknown types, a bad rank and a missing base with one-line input errors', () => {
    expect(() => predictOutputSizes({ base, rank: 4, liteType: 'Q4_K_X' })).toThrow(InputError);
    expect(() => predictOutputSizes({ base, rank: 4, liteType: 'Q4_0', mergedType: 'F8' })).toThrow(/--merged-type/);
    expect(() => predictOutputSizes({ base, rank: 0, liteType: 'Q4_0' })).toThrow(/--rank/);
    expect(() => predictOutputSizes({ base: join(dir, 'nope.gguf'), rank: 4, liteType: 'Q4_0' })).toThrow(
      /does not exist/,
    );
  });

  it('refuses a lite model that would requantize a quantized merge, as quantizeFile does', () => {
    expect(() => predictOutputSizes({ base, rank: 4, mergedType: 'Q8_0', liteType: 'Q4_0' })).toThrow(/requantiz/);
    const p = predictOutputSizes({ base, rank: 4, mergedType: 'Q8_0', liteType: 'Q4_0', allowRequantize: true });
    expect(p.lite).toBeLessThan(p.full);
  });
});
