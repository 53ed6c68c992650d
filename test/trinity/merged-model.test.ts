// The merged universal model, judged by llama.cpp: merging a single adapter "linearly" must give the model llama.cpp
// computes when it applies that adapter at run time, and a TIES merge of two adapters must add exactly the
// tiesMerge of their deltas to the base.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContext, loadModel, nextTokenProbabilities } from '../../src/eval/llama.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { configFromGguf } from '../../src/model/config.ts';
import { readTensorF32 } from '../../src/model/weights.ts';
import { writeLoraAdapter } from '../../src/trainer/adapter-gguf.ts';
import { selectBackend } from '../../src/trainer/backend.ts';
import { createLora, disposeLora, LORA_TARGETS } from '../../src/trainer/lora.ts';
import { tiesMerge } from '../../src/trinity/merge.ts';
import { adapterDeltaOf, writeMergedModel } from '../../src/trinity/merged-model.ts';
import { tempDir } from '../helpers/temp.ts';
import { TINY, tinyModel } from '../trainer/fixtures.ts';

const dir = tempDir('meetara-merged-');
const adapters = [join(dir, 'a.gguf'), join(dir, 'b.gguf')];
const VOCAB = TINY.vocabSize;
let base: string;

beforeAll(async () => {
  await selectBackend('wasm');
  base = await tinyModel(dir);
  const file = GgufFile.open(base);
  const config = configFromGguf(
    file.metadata,
    file.tensors.map((t) => t.name),
    base,
  );
  file.close();
  for (const [i, path] of adapters.entries()) {
    // Attention targets only for the first, every target for the second: a tensor one adapter leaves alone.
    const targets = i === 0 ? (['q', 'k', 'v', 'o'] as const) : LORA_TARGETS;
    const lora = createLora(config, { rank: 4, alpha: 8, targets: [...targets], seed: 10 + i, stdB: 0.2 });
    await writeLoraAdapter(path, lora, { arch: 'llama' });
    disposeLora(lora);
  }
});

describe('the merged universal model', () => {
  it('with one adapter, equals llama.cpp applying that adapter at run time', async () => {
    const merged = join(dir, 'merged-one.gguf');
    await writeMergedModel(base, [adapters[1] as string], merged, { method: 'linear', type: 'F32' });
    const tokens = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % VOCAB);
    const runtime = await loadModel(base);
    const folded = await loadModel(merged);
    try {
      const a = await nextTokenProbabilities(
        await createContext(runtime, { lora: [{ filePath: adapters[1] as string }], exact: true }),
        tokens,
        VOCAB,
      );
      const b = await nextTokenProbabilities(await createContext(folded, { exact: true }), tokens, VOCAB);
      let worst = 0;
      for (let t = 0; t < tokens.length; t++) {
        for (let v = 0; v < VOCAB; v++) {
          const p = (a[t] as Float64Array)[v] as number;
          const q = (b[t] as Float64Array)[v] as number;
          if (p > 1e-6) worst = Math.max(worst, Math.abs(Math.log(p) - Math.log(q)));
        }
      }
      expect(worst).toBeLessThan(2e-3);
    } finally {
      await runtime.dispose();
      await folded.dispose();
    }
  });

  it('with TIES, adds exactly tiesMerge of the two deltas to every adapted tensor, and loads in llama.cpp', async () => {
    const merged = join(dir, 'merged-ties.gguf');
    await writeMergedModel(base, adapters, merged, { method: 'ties', density: 0.3, type: 'F32' });
    const b = GgufFile.open(base);
    const m = GgufFile.open(merged);
    const files = adapters.map((a) => GgufFile.open(a));
    try {
      const deltaOfs = files.map(adapterDeltaOf);
      let adapted = 0;
      for (const t of b.tensors) {
        const before = readTensorF32(b, t.name);
        const after = readTensorF32(m, t.name);
        const deltas = deltaOfs.map((d) => d(t.name));
        if (deltas.every((d) => d === undefined)) {
          expect(after, t.name).toEqual(before);
          continue;
        }
        adapted++;
        if (t.name.includes('ffn')) expect(deltas[0], t.name).toBeUndefined();
        const want = tiesMerge(
          deltas.map((d) => d ?? new Float32Array(before.length)),
          0.3,
        );
        for (let i = 0; i < before.length; i++) {
          expect(Math.abs((after[i] as number) - ((before[i] as number) + (want[i] as number)))).toBeLessThan(1e-6);
        }
      }
      expect(adapted).toBe(2 * 7);
    } finally {
      b.close();
      m.close();
      for (const f of files) f.close();
    }
    const model = await loadModel(merged);
    await model.dispose();
  });
});
