// The acceptance test of the GGUF layer: a model we write loads in the real llama.cpp, tokenizes and evaluates.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext, loadModel, nextTokenProbabilities } from '../../src/eval/llama.ts';
import { initModel } from '../../src/model/init-model.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir();

describe('init-model output in llama.cpp', () => {
  for (const arch of ['llama', 'qwen2'] as const) {
    it(`${arch}: loads, tokenizes and evaluates`, async () => {
      const path = join(dir, `${arch}.gguf`);
      await initModel(path, {
        arch,
        vocabSize: 512,
        dim: 64,
        layers: 2,
        heads: 4,
        kvHeads: 2,
        ffn: 128,
        contextLength: 128,
        seed: 1,
      });
      const model = await loadModel(path);
      try {
        const text = 'I hear you. How are you feeling today?';
        const tokens = model.tokenize(text);
        expect(tokens.length).toBeGreaterThan(5);
        expect(model.detokenize(tokens)).toBe(text);
        expect(model.tokenize('<|im_start|>user', true)[0]).toBe(model.tokenize('<|im_start|>', true)[0]);
        const context = await createContext(model, { contextSize: 128 });
        const dists = await nextTokenProbabilities(context, [1, ...tokens], 512);
        expect(dists).toHaveLength(tokens.length + 1);
        for (const d of dists) {
          const sum = d.reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(1, 4);
        }
        await context.dispose();
      } finally {
        await model.dispose();
      }
    });
  }
});
