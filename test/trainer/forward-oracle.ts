// Shared by the forward-pass tests: test models with random norms and biases, llama.cpp's full next-token
// distributions (the oracle), our log-probabilities, and the comparison of the two.
// What is compared: log p(t) for every vocabulary entry t whose llama.cpp probability is above P_MIN; entries
// llama.cpp did not return at all are counted as missing, so a test can insist there are none.

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { createContext } from '../../src/eval/llama.ts';
import type { GgufKv } from '../../src/gguf/metadata.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { type InitModelOptions, initModel } from '../../src/model/init-model.ts';
import { readTensorF32 } from '../../src/model/weights.ts';
import { forward, type TokenBatch } from '../../src/trainer/forward.ts';
import type { LoraParams } from '../../src/trainer/lora.ts';
import type { TfModel } from '../../src/trainer/tf-model.ts';
import { Rng } from '../../src/util/random.ts';

export const TOLERANCE = 2e-3;
export const P_MIN = 1e-6;

/**
 * An init-model model whose norm weights and biases are random too (init-model sets them to 1 and 0, which would
 * leave the norm weights and the qwen2 biases untested), with optional extra metadata. Returns its path.
 */
export async function testModel(dir: string, name: string, o: InitModelOptions, extra: Record<string, GgufKv> = {}) {
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
  try {
    await writeGguf(out, { metadata, tensors });
  } finally {
    src.close();
  }
  return out;
}

/** llama.cpp's full next-token distribution (no top-k/top-p truncation) at every position, as log p. */
export async function llamaLogProbs(
  model: LlamaModel,
  vocab: number,
  tokens: readonly number[],
  lora?: string,
): Promise<Float64Array[]> {
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
      const logp = new Float64Array(vocab).fill(Number.NaN);
      for (const [t, p] of probs) logp[t] = Math.log(p);
      return logp;
    });
  } finally {
    sequence.dispose();
    await context.dispose();
  }
}

/** Our log-probabilities, one row of `vocab` per token of the batch. */
export function ourLogProbs(model: TfModel, batch: TokenBatch, lora?: LoraParams): Float32Array[] {
  const vocab = model.config.vocabSize;
  const logp = tf.tidy(() => tf.logSoftmax(forward(model, batch, { lora })));
  const flat = logp.dataSync() as Float32Array;
  logp.dispose();
  return Array.from({ length: batch.batch * batch.seqLen }, (_, i) => flat.subarray(i * vocab, (i + 1) * vocab));
}

/** Largest |log p_llama − log p_ours| over the compared entries, how many were compared, and how many were missing. */
export function compareLogProbs(ref: readonly Float64Array[], ours: readonly Float32Array[]) {
  let maxDiff = 0;
  let compared = 0;
  let missing = 0;
  ref.forEach((row, i) => {
    for (let t = 0; t < row.length; t++) {
      if (Number.isNaN(row[t])) missing++;
      else if (row[t] > Math.log(P_MIN)) {
        maxDiff = Math.max(maxDiff, Math.abs(row[t] - ours[i][t]));
        compared++;
      }
    }
  });
  return { maxDiff, compared, missing };
}

export const randomTokens = (seed: number, n: number, vocab: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.nextU32() % vocab);
};
