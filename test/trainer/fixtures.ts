// Shared fixtures for the trainer's acceptance tests: a tiny init-model model, a tiny chat dataset whose replies
// follow a pattern the model can learn in a few dozen steps, and llama.cpp's loss on the same tokens.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, loadModel, nextTokenProbabilities } from '../../src/eval/llama.ts';
import { initModel } from '../../src/model/init-model.ts';
import type { TokenizedSample } from '../../src/trainer/data.ts';

export const TINY = {
  arch: 'llama',
  vocabSize: 512,
  dim: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  ffn: 128,
  contextLength: 256,
} as const;

export async function tinyModel(dir: string, name = 'base.gguf', arch: 'llama' | 'qwen2' = 'llama'): Promise<string> {
  const path = join(dir, name);
  await initModel(path, { ...TINY, arch, seed: 1 });
  return path;
}

const FEELINGS = ['sad', 'happy', 'okay', 'stress', 'anxiety', 'pain'];
const WHO = ['family', 'friend', 'doctor', 'school', 'work', 'body'];

function sample(a: string, b: string): string {
  return JSON.stringify({
    messages: [
      { role: 'user', content: `${a} ${b}` },
      { role: 'assistant', content: `feel ${a}? talk to ${b}.` },
    ],
  });
}

/** 28 training and 8 held-out conversations; returns their paths. */
export function chatData(dir: string): { train: string; held: string } {
  const train: string[] = [];
  const held: string[] = [];
  FEELINGS.forEach((a, i) => {
    WHO.forEach((b, j) => {
      ((i + j) % 5 === 0 ? held : train).push(sample(a, b));
    });
  });
  const paths = { train: join(dir, 'train.jsonl'), held: join(dir, 'held.jsonl') };
  writeFileSync(paths.train, `${train.join('\n')}\n`);
  writeFileSync(paths.held, `${held.join('\n')}\n`);
  return paths;
}

/**
 * llama.cpp's mean −log p over exactly the positions our loss counts (assistant tokens), each sample evaluated
 * alone, with an F32 KV cache. Also returns every distribution, for exact comparisons.
 */
export async function llamaHeldOutLoss(
  model: string,
  samples: readonly TokenizedSample[],
  lora?: { filePath: string; scale?: number }[],
): Promise<{ loss: number; dists: Float64Array[][] }> {
  const m = await loadModel(model);
  let sum = 0;
  let count = 0;
  const dists: Float64Array[][] = [];
  try {
    for (const s of samples) {
      const ctx = await createContext(m, { exact: true, lora, contextSize: 128, threads: 2 });
      try {
        const d = await nextTokenProbabilities(ctx, Array.from(s.tokens), TINY.vocabSize);
        dists.push(d);
        for (let i = 0; i + 1 < s.tokens.length; i++) {
          if (!s.lossMask[i + 1]) continue;
          sum -= Math.log(d[i][s.tokens[i + 1]]);
          count++;
        }
      } finally {
        await ctx.dispose();
      }
    }
  } finally {
    await m.dispose();
  }
  return { loss: sum / count, dists };
}
