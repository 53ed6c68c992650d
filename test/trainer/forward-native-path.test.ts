// The forward pass's tensorflow code path (batched attention matMuls, matMul transpose flags, stock gather) against
// llama.cpp. tfjs-node cannot be installed here, so the cpu backend's kernels are registered under the name
// 'tensorflow': the kernels are cpu's, the code path through src/trainer/ops.ts is the one tfjs-node users run.

import { join } from 'node:path';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/eval/llama.ts';
import { writeLoraAdapter } from '../../src/trainer/adapter-gguf.ts';
import { selectBackend } from '../../src/trainer/backend.ts';
import type { TokenBatch } from '../../src/trainer/forward.ts';
import { createLora, disposeLora } from '../../src/trainer/lora.ts';
import { disposeTfModel, loadTfModel } from '../../src/trainer/tf-model.ts';
import { tempDir } from '../helpers/temp.ts';
import { compareLogProbs, llamaLogProbs, ourLogProbs, randomTokens, TOLERANCE, testModel } from './forward-oracle.ts';

const VOCAB = 384;
const dir = tempDir('meetara-native-');

beforeAll(async () => {
  const selection = await selectBackend('tensorflow', {
    importer: async (pkg) => {
      if (pkg !== '@tensorflow/tfjs-node') throw new Error(`${pkg} is not installed`);
      for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { firstUse: false }));
      return {};
    },
  });
  expect(selection.name).toBe('tensorflow');
});

describe.each(['llama', 'qwen2'] as const)('%s on the tensorflow code path', (arch) => {
  it('packed samples with a LoRA adapter give what llama.cpp gives for each sample alone', async () => {
    const path = await testModel(dir, arch, {
      arch,
      vocabSize: VOCAB,
      dim: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      ffn: 128,
      contextLength: 128,
      seed: 31,
      tiedEmbeddings: arch === 'qwen2',
    });
    const model = loadTfModel(path);
    const lora = createLora(model.config, { rank: 4, alpha: 8, seed: 2, stdB: 0.1 });
    const adapter = join(dir, `${arch}-adapter.gguf`);
    await writeLoraAdapter(adapter, lora, { arch });
    const llama = await loadModel(path);
    try {
      const a = randomTokens(1, 20, VOCAB);
      const b = randomTokens(2, 28, VOCAB);
      const batch: TokenBatch = {
        tokens: Int32Array.from([...a, ...b]),
        batch: 1,
        seqLen: 48,
        segments: Int32Array.from([...a.map(() => 1), ...b.map(() => 2)]),
      };
      const ours = ourLogProbs(model, batch, lora);
      for (const [sample, at] of [
        [a, 0],
        [b, a.length],
      ] as const) {
        const ref = await llamaLogProbs(llama, VOCAB, sample, adapter);
        const r = compareLogProbs(ref, ours.slice(at, at + sample.length));
        expect(r.compared).toBe(sample.length * VOCAB);
        expect(r.maxDiff).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      disposeLora(lora);
      disposeTfModel(model);
      await llama.dispose();
    }
  });
});
