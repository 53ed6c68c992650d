// The tfjs forward pass against llama.cpp (node-llama-cpp, F32 KV cache, no flash attention): next-token
// log-probabilities at every position of a 64-token input, for llama and qwen2 models with GQA, with and without a
// LoRA adapter that we write and llama.cpp loads.
// What is compared: log p(t) for every vocabulary entry t whose llama.cpp probability is above 1e-6 (for these
// models that is the whole vocabulary; the tests assert llama.cpp returned every entry, and count them).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/eval/llama.ts';
import { kv } from '../../src/gguf/metadata.ts';
import { readLoraAdapter, writeLoraAdapter } from '../../src/trainer/adapter-gguf.ts';
import { selectBackend } from '../../src/trainer/backend.ts';
import type { TokenBatch } from '../../src/trainer/forward.ts';
import { createLora, disposeLora, LORA_TARGETS, type LoraParams, loraVariables } from '../../src/trainer/lora.ts';
import { disposeTfModel, loadTfModel, type TfModel } from '../../src/trainer/tf-model.ts';
import {
  compareLogProbs as compare,
  llamaLogProbs,
  ourLogProbs,
  randomTokens as randomTokensOf,
  TOLERANCE,
  testModel,
} from './forward-oracle.ts';

const SEQ = 64;
const VOCAB = 512;

let dir: string;
const randomTokens = (seed: number, n: number) => randomTokensOf(seed, n, VOCAB);

interface Variant {
  readonly arch: 'llama' | 'qwen2';
  readonly path: string;
  readonly model: TfModel;
  readonly llama: LlamaModel;
  readonly lora: LoraParams;
  readonly adapter: string;
}
const variants: Record<string, Variant> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meetara-forward-'));
  await selectBackend('wasm');
  const common = { vocabSize: VOCAB, dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, contextLength: 256 };
  const specs = {
    // llama: untied head, NORM rope with linear scaling (factor 2)
    llama: await testModel(
      dir,
      'llama',
      { ...common, arch: 'llama', seed: 11, tiedEmbeddings: false },
      { 'llama.rope.scaling.type': kv.str('linear'), 'llama.rope.scaling.factor': kv.f32(2) },
    ),
    // qwen2: tied head, q/k/v biases, NEOX rope with base 1e6
    qwen2: await testModel(dir, 'qwen2', { ...common, arch: 'qwen2', seed: 12, tiedEmbeddings: true }),
  } as const;
  for (const [arch, path] of Object.entries(specs) as ['llama' | 'qwen2', string][]) {
    const model = loadTfModel(path);
    // Random nonzero A and B on all 7 targets; rank 4 with alpha 8 makes llama.cpp's scale alpha/r = 2.
    const lora = createLora(model.config, { rank: 4, alpha: 8, targets: LORA_TARGETS, seed: 5, stdB: 0.1 });
    const adapter = join(dir, `${arch}-adapter.gguf`);
    await writeLoraAdapter(adapter, lora, { arch });
    variants[arch] = { arch, path, model, llama: await loadModel(path), lora, adapter };
  }
});

afterAll(async () => {
  for (const v of Object.values(variants)) {
    disposeTfModel(v.model);
    disposeLora(v.lora);
    await v.llama.dispose();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['llama', 'qwen2'])('%s forward pass equals llama.cpp', (arch) => {
  const tokens = randomTokens(arch === 'llama' ? 1 : 2, SEQ);
  const batch: TokenBatch = { tokens: Int32Array.from(tokens), batch: 1, seqLen: SEQ };

  it('matches the model config the test intends', () => {
    const c = variants[arch].model.config;
    expect([c.heads, c.kvHeads, c.tiedEmbeddings, c.qkvBias]).toEqual([4, 2, arch === 'qwen2', arch === 'qwen2']);
    expect(c.ropeType).toBe(arch === 'llama' ? 'norm' : 'neox');
    if (arch === 'llama') expect(c.ropeScaling).toEqual({ type: 'linear', factor: 2 });
  });

  it(`base model: |Δ log p| ≤ ${TOLERANCE} at all ${SEQ} positions`, async () => {
    const v = variants[arch];
    const r = compare(await llamaLogProbs(v.llama, VOCAB, tokens), ourLogProbs(v.model, batch));
    expect(r.missing).toBe(0);
    expect(r.compared).toBe(SEQ * VOCAB);
    expect(r.maxDiff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('with a LoRA adapter on q, k, v, o, gate, up, down, loaded by llama.cpp from our GGUF', async () => {
    const v = variants[arch];
    const ref = await llamaLogProbs(v.llama, VOCAB, tokens, v.adapter);
    const ours = ourLogProbs(v.model, batch, v.lora);
    const r = compare(ref, ours);
    expect(r.missing).toBe(0);
    expect(r.compared).toBe(SEQ * VOCAB);
    expect(r.maxDiff).toBeLessThanOrEqual(TOLERANCE);
    // The adapter must matter, or the comparison above proves nothing about LoRA.
    const base = ourLogProbs(v.model, batch);
    const shift = Math.max(...ours.map((row, i) => Math.max(...row.map((x, t) => Math.abs(x - base[i][t])))));
    expect(shift).toBeGreaterThan(0.1);
  });
});

describe('packed and batched sequences', () => {
  it('each sample in a packed row gives what llama.cpp gives for that sample alone', async () => {
    const v = variants.qwen2;
    const a = randomTokens(21, 24);
    const b = randomTokens(22, 40);
    const c = randomTokens(23, 64);
    // row 0 packs a then b; row 1 holds c
    const batch: TokenBatch = {
      tokens: Int32Array.from([...a, ...b, ...c]),
      batch: 2,
      seqLen: 64,
      segments: Int32Array.from([...a.map(() => 1), ...b.map(() => 2), ...c.map(() => 1)]),
    };
    const ours = ourLogProbs(v.model, batch, v.lora);
    const pieces = [
      [a, 0],
      [b, 24],
      [c, 64],
    ] as const;
    for (const [sample, at] of pieces) {
      const r = compare(await llamaLogProbs(v.llama, VOCAB, sample, v.adapter), ours.slice(at, at + sample.length));
      expect(r.compared).toBe(sample.length * VOCAB);
      expect(r.maxDiff).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});

describe('adapter GGUF', () => {
  it('reads back exactly what was written', async () => {
    const v = variants.llama;
    const back = readLoraAdapter(v.adapter, v.model.config);
    try {
      expect([back.rank, back.alpha, back.targets]).toEqual([4, 8, [...LORA_TARGETS]]);
      const [x, y] = [loraVariables(v.lora), loraVariables(back)];
      expect(y.length).toBe(x.length);
      x.forEach((t, i) => {
        expect(y[i].shape).toEqual(t.shape);
        expect(y[i].dataSync()).toEqual(t.dataSync());
      });
    } finally {
      disposeLora(back);
    }
  });

  it('is refused for a base of another architecture', () => {
    expect(() => readLoraAdapter(variants.llama.adapter, variants.qwen2.model.config)).toThrow(
      /general\.architecture is 'llama', expected 'qwen2'/,
    );
  });
});
