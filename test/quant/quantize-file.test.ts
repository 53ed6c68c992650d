// quantizeFile against llama.cpp's llama_model_quantize (libllama through koffi): for every mix, on random models
// from init-model, every tensor must get the same ggml type and the same bytes, and llama.cpp must load and run
// what we write. F16, BF16 and Q8_0 inputs go through the same comparison.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, loadModel, nextTokenProbabilities } from '../../src/eval/llama.ts';
import { GGML_TYPES, GgufValueType, LlamaFileType } from '../../src/gguf/constants.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { initModel } from '../../src/model/init-model.ts';
import { llamaTensorOrder, planTensorTypes, QUANT_FILE_TYPES, QUANT_TYPE_NAMES } from '../../src/quant/mixes.ts';
import { QuantPool } from '../../src/quant/pool.ts';
import { modelShapeOf, quantizeFile } from '../../src/quant/quantize-file.ts';
import { llamaModelQuantize, llamaQuantizePlan } from './ggml-oracle.ts';

const dir = mkdtempSync(join(tmpdir(), 'meetara-quant-'));
const pool = new QuantPool(2);

interface Case {
  readonly name: string;
  readonly path: string;
}

/** Every tensor's type and bytes, in file order. */
function tensorsOf(path: string): { name: string; type: string; bytes: Buffer }[] {
  const f = GgufFile.open(path);
  try {
    return f.tensors.map((t) => ({
      name: t.name,
      type: GGML_TYPES[t.type].name,
      bytes: Buffer.from(f.readTensorBytes(t.name)),
    }));
  } finally {
    f.close();
  }
}

/** Quantizes with both engines and checks tensor types, tensor bytes and then the whole file. */
async function expectSameAsLlama(input: string, type: string, allowRequantize = false) {
  const ftype = QUANT_FILE_TYPES[type as keyof typeof QUANT_FILE_TYPES];
  const ours = join(dir, `${input.split('/').pop()}.${type}.ours.gguf`);
  const theirs = join(dir, `${input.split('/').pop()}.${type}.llama.gguf`);
  expect(llamaModelQuantize(input, theirs, ftype, { threads: 2, allowRequantize })).toBe(0);
  await quantizeFile(input, ours, { type, pool, allowRequantize, progress: false });
  const a = tensorsOf(ours);
  const b = tensorsOf(theirs);
  expect(a.map((t) => `${t.name}:${t.type}`)).toEqual(b.map((t) => `${t.name}:${t.type}`));
  for (let i = 0; i < a.length; i++) {
    expect(a[i].bytes.equals(b[i].bytes), `${type}: bytes of ${a[i].name} (${a[i].type})`).toBe(true);
  }
  // Metadata is copied through in order too, so the files are identical.
  expect(readFileSync(ours).equals(readFileSync(theirs)), `${type}: whole file`).toBe(true);
  return ours;
}

/** llama.cpp loads the file and its next-token distributions are proper probabilities. */
async function expectLlamaRuns(path: string) {
  const model = await loadModel(path);
  try {
    const context = await createContext(model, { contextSize: 64, threads: 2 });
    try {
      const tokens = model.tokenize('hello, how are you?');
      const dists = await nextTokenProbabilities(context, tokens, 512);
      for (const d of dists) {
        const sum = d.reduce((s, p) => s + p, 0);
        expect(Number.isFinite(sum) && Math.abs(sum - 1) < 1e-3).toBe(true);
      }
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}

const models: Record<string, Case> = {};

beforeAll(async () => {
  // Every row a multiple of 256, GQA 2, untied output.
  models.aligned = { name: 'dim 256 / ffn 768', path: join(dir, 'aligned.gguf') };
  await initModel(models.aligned.path, {
    arch: 'llama',
    vocabSize: 512,
    dim: 256,
    layers: 4,
    heads: 8,
    kvHeads: 4,
    ffn: 768,
    contextLength: 128,
    seed: 1,
  });
  // Rows of 320 and 864: K-quants fall back to 32-blocks. GQA 5 and tied embeddings.
  models.fallback = { name: 'dim 320 / ffn 864', path: join(dir, 'fallback.gguf') };
  await initModel(models.fallback.path, {
    arch: 'llama',
    vocabSize: 512,
    dim: 320,
    layers: 2,
    heads: 5,
    kvHeads: 1,
    ffn: 864,
    contextLength: 128,
    seed: 2,
    tiedEmbeddings: true,
  });
});

afterAll(async () => {
  await pool.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['aligned', 'fallback'])('%s model', (key) => {
  it.each(QUANT_TYPE_NAMES)(
    '%s: same tensor types and bytes as llama_model_quantize, and llama.cpp runs it',
    async (type) => {
      const out = await expectSameAsLlama(models[key].path, type);
      await expectLlamaRuns(out);
    },
  );
});

describe('rows that not even 32 divides', () => {
  it.each(['Q4_0', 'Q4_K_M', 'Q6_K', 'Q2_K'])('%s falls back to F16 as llama.cpp does', async (type) => {
    const path = join(dir, 'odd.gguf');
    await initModel(path, {
      arch: 'llama',
      vocabSize: 512,
      dim: 200,
      layers: 1,
      heads: 5,
      ffn: 520,
      contextLength: 64,
    });
    const out = await expectSameAsLlama(path, type);
    const types = new Set(tensorsOf(out).map((t) => t.type));
    expect(types.has('F16')).toBe(true);
    await expectLlamaRuns(out);
  });
});

describe('input types', () => {
  it('F16 and BF16 inputs are converted to f32 first, as llama.cpp does', async () => {
    for (const [from, to] of [
      ['F16', 'Q4_K_M'],
      ['BF16', 'Q8_0'],
      ['BF16', 'Q3_K_M'],
    ]) {
      const input = join(dir, `input.${from}.gguf`);
      const ftype = QUANT_FILE_TYPES[from as keyof typeof QUANT_FILE_TYPES];
      expect(llamaModelQuantize(models.aligned.path, input, ftype, { threads: 2 })).toBe(0);
      await expectSameAsLlama(input, to);
    }
  });

  it('a Q8_0 input needs allowRequantize, and then matches llama.cpp with allow_requantize', async () => {
    const input = join(dir, 'input.Q8_0.gguf');
    expect(llamaModelQuantize(models.fallback.path, input, LlamaFileType.MOSTLY_Q8_0, { threads: 2 })).toBe(0);
    const refused = quantizeFile(input, join(dir, 'refused.gguf'), { type: 'Q4_K_M', pool, progress: false });
    await expect(refused).rejects.toThrow(/already quantized \(Q8_0\).*--allow-requantize/);
    // Q8_0 -> Q8_0 copies, so it needs no permission, exactly like llama.cpp.
    await expectSameAsLlama(input, 'Q8_0');
    await expectSameAsLlama(input, 'Q4_K_M', true);
  });
});

describe('mix rules on deeper models (llama.cpp dry run)', () => {
  // Types only: llama.cpp plans the whole file without quantizing, and so do we.
  it.each([
    ['32 layers, GQA 8', { dim: 256, ffn: 256, layers: 32, heads: 8, kvHeads: 1 }],
    ['80 layers (llama.cpp calls it 70B)', { dim: 64, ffn: 64, layers: 80, heads: 4, kvHeads: 2 }],
  ])('%s: every mix plans the same types', async (_label, shape) => {
    const path = join(dir, `deep-${shape.layers}.gguf`);
    await initModel(path, { arch: 'llama', vocabSize: 512, contextLength: 64, ...shape });
    const file = GgufFile.open(path);
    try {
      const tensors = llamaTensorOrder(file.tensors);
      for (const type of QUANT_TYPE_NAMES) {
        const ftype = QUANT_FILE_TYPES[type];
        const ours = planTensorTypes(tensors, ftype, modelShapeOf(file.metadata, path));
        const theirs = llamaQuantizePlan(path, ftype);
        const mine = new Map(tensors.map((t, i) => [t.name, GGML_TYPES[ours[i]].name]));
        expect(mine, type).toEqual(theirs);
      }
    } finally {
      file.close();
    }
  });
});

describe('output metadata', () => {
  it('sets general.file_type and general.quantization_version = 2 (u32) and copies the rest in order', async () => {
    const out = join(dir, 'meta.gguf');
    await quantizeFile(models.aligned.path, out, { type: 'Q5_K_M', pool, progress: false });
    const a = GgufFile.open(models.aligned.path);
    const b = GgufFile.open(out);
    try {
      expect(b.metadata.get('general.file_type')).toEqual({
        type: GgufValueType.UINT32,
        value: LlamaFileType.MOSTLY_Q5_K_M,
      });
      expect(b.metadata.get('general.quantization_version')).toEqual({ type: GgufValueType.UINT32, value: 2 });
      const copied = [...a.metadata.keys()].filter((k) => k !== 'general.file_type');
      expect([...b.metadata.keys()].slice(0, copied.length)).toEqual(copied);
      for (const k of copied) expect(b.metadata.get(k)).toEqual(a.metadata.get(k));
    } finally {
      a.close();
      b.close();
    }
  });
});
