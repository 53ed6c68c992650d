// The tfjs forward pass against llama.cpp (node-llama-cpp, F32 KV cache, no flash attention): next-token
// log-probabilities at every position of a 64-token input, for llama and qwen2 models with GQA, with and without a
// LoRA adapter that we write and llama.cpp loads.
// What is compared: log p(t) for every vocabulary entry t whose llama.cpp probability is above 1e-6 (for these
// models that is the whole vocabulary; the test asserts llama.cpp returned every entry, and counts them).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, loadModel } from '../../src/eval/llama.ts';
import { type GgufKv, kv } from '../../src/gguf/metadata.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { type InitModelOptions, initModel } from '../../src/model/init-model.ts';
import { readTensorF32 } from '../../src/model/weights.ts';
import { readLoraAdapter, writeLoraAdapter } from '../../src/trainer/adapter-gguf.ts';
import { selectBackend } from '../../src/trainer/backend.ts';
import { forward, type TokenBatch } from '../../src/trainer/forward.ts';
import { createLora, disposeLora, LORA_TARGETS, type LoraParams, loraVariables } from '../../src/trainer/lora.ts';
import { disposeTfModel, loadTfModel, type TfModel } from '../../src/trainer/tf-model.ts';
import { Rng } from '../../src/util/random.ts';

const TOLERANCE = 2e-3;
const P_MIN = 1e-6;
const SEQ = 64;
const VOCAB = 512;

let dir: string;

/**
 * An init-model model whose norm weights and biases are random too (init-model sets them to 1 and 0, which would
 * leave the norm weights and the qwen2 biases untested), with optional extra metadata.
 */
async function testModel(name: string, o: InitModelOptions, extra: Record<string, GgufKv> = {}) {
  const raw = join(dir, `${name}-raw.gguf`);
  const out = join(dir, `${name}.gguf`);
  await initModel(raw, o);
  const src = GgufFile.open(raw);
  const rng = new Rng(o.seed ?? 0);
  const metadata = new Map(src.metadata);
  for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
  const tensors = src.tensors.map((t) => ({
    name: t.name,
    type: t.type,
    ne: t.ne,
    data: () => {
      const values = readTensorF32(src, t.name).slice();
      if (t.name.endsWith('norm.weight')) for (let i = 0; i < values.length; i++) values[i] = 1 + 0.2 * rng.normal();
      if (t.name.endsWith('.bias')) for (let i = 0; i < values.length; i++) values[i] = 0.1 * rng.normal();
      return new Uint8Array(values.buffer);
    },
  }));
  await writeGguf(out, { metadata, tensors });
  src.close();
  return out;
}

/** llama.cpp's full next-token distribution (no top-k/top-p truncation) at every position, as log p. */
async function llamaLogProbs(model: LlamaModel, tokens: readonly number[], lora?: string): Promise<Float64Array[]> {
  const context = await createContext(model, {
    exact: true,
    contextSize: 128,
    lora: lora ? [{ filePath: lora, scale: 1 }] : undefined,
  });
  const sequence = context.getSequence();
  try {
    const options = { temperature: 1, topK: 0, topP: 1, minP: 0 };
    const results = await sequence.controlledEvaluate(
      tokens.map((t) => [t as Token, { generateNext: { probabilities: true, options } }]),
    );
    return results.map((r, i) => {
      const probs = r?.next?.probabilities;
      if (!probs) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
      const logp = new Float64Array(VOCAB).fill(Number.NaN);
      for (const [t, p] of probs) logp[t] = Math.log(p);
      return logp;
    });
  } finally {
    sequence.dispose();
    await context.dispose();
  }
}

/** Our log-probabilities [batch·seq][vocab]. */
function ourLogProbs(model: TfModel, batch: TokenBatch, lora?: LoraParams): Float32Array[] {
  const flat = tf.tidy(() => tf.logSoftmax(forward(model, batch, { lora })).dataSync() as Float32Array);
  return Array.from({ length: batch.batch * batch.seqLen }, (_, i) => flat.subarray(i * VOCAB, (i + 1) * VOCAB));
}

/** Largest |log p_llama − log p_ours| over compared entries, and how many entries were compared. */
function compare(ref: readonly Float64Array[], ours: readonly Float32Array[]) {
  let maxDiff = 0;
  let compared = 0;
  let missing = 0;
  ref.forEach((row, i) => {
    for (let t = 0; t < VOCAB; t++) {
      if (Number.isNaN(row[t])) missing++;
      else if (row[t] > Math.log(P_MIN)) {
        maxDiff = Math.max(maxDiff, Math.abs(row[t] - ours[i][t]));
        compared++;
      }
    }
  });
  return { maxDiff, compared, missing };
}

const randomTokens = (seed: number, n: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.nextU32() % VOCAB);
};

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
      'llama',
      { ...common, arch: 'llama', seed: 11, tiedEmbeddings: false },
      { 'llama.rope.scaling.type': kv.str('linear'), 'llama.rope.scaling.factor': kv.f32(2) },
    ),
    // qwen2: tied head, q/k/v biases, NEOX rope with base 1e6
    qwen2: await testModel('qwen2', { ...common, arch: 'qwen2', seed: 12, tiedEmbeddings: true }),
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
    const r = compare(await llamaLogProbs(v.llama, tokens), ourLogProbs(v.model, batch));
    expect(r.missing).toBe(0);
    expect(r.compared).toBe(SEQ * VOCAB);
    expect(r.maxDiff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('with a LoRA adapter on q, k, v, o, gate, up, down, loaded by llama.cpp from our GGUF', async () => {
    const v = variants[arch];
    const ref = await llamaLogProbs(v.llama, tokens, v.adapter);
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
      const r = compare(await llamaLogProbs(v.llama, sample, v.adapter), ours.slice(at, at + sample.length));
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
