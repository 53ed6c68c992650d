// Convert round trip, judged by llama.cpp: init-model GGUF (llama with SPM, qwen2 with byte-level BPE) -> exportHf
// -> `meetara convert` gives identical tensors, identical metadata and identical llama.cpp outputs. An independent
// float64 forward pass with HF semantics on the exported folder matches llama.cpp on the GGUF, which pins the q/k
// permutation direction; --outtype q8_0 matches ggml's own quantizer byte for byte.

import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, llamaEngine, nextTokenProbabilities } from '../../src/eval/llama.ts';
import { GgmlType } from '../../src/gguf/constants.ts';
import { toJsonValue } from '../../src/gguf/metadata.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { renderChat } from '../../src/model/chat-template.ts';
import { configFromGguf } from '../../src/model/config.ts';
import { convertHfToGguf } from '../../src/model/convert.ts';
import { exportHf } from '../../src/model/export-hf.ts';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.ts';
import { initModel } from '../../src/model/init-model.ts';
import { readTensorF32 } from '../../src/model/weights.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { ggmlQuantizeChunk } from '../quant/ggml-oracle.ts';
import { buildCorpus } from './corpus.ts';
import { hfReferenceProbabilities } from './hf-reference.ts';

const dir = tempDir('meetara-convert-');

const PROMPT = renderChat(
  [
    { role: 'system', content: 'You are a caring assistant.' },
    { role: 'user', content: "I can't sleep well lately, what should I do?" },
  ],
  { addGenerationPrompt: true },
);

/**
 * init-model's N(0, 0.02) weights make attention nearly uniform, which would hide a wrong RoPE layout; scaling q
 * and k by 10 makes attention depend on positions.
 */
async function sharpenAttention(from: string, to: string): Promise<void> {
  const src = GgufFile.open(from);
  const tensors = src.tensors.map((t) => ({
    name: t.name,
    type: t.type,
    ne: t.ne,
    data: () => {
      const x = readTensorF32(src, t.name).slice();
      if (/attn_[qk]\.weight$/.test(t.name)) for (let i = 0; i < x.length; i++) x[i] *= 10;
      return new Uint8Array(x.buffer);
    },
  }));
  await writeGguf(to, { metadata: new Map(src.metadata), tensors });
  src.close();
}

const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function maxAbsDiff(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let m = 0;
  for (const [i, row] of a.entries()) for (const [j, p] of row.entries()) m = Math.max(m, Math.abs(p - b[i][j]));
  return m;
}

describe.each([
  { arch: 'llama' as const, tokenizer: 'spm' as const },
  { arch: 'qwen2' as const, tokenizer: 'bpe' as const },
])('convert round trip: $arch ($tokenizer)', ({ arch, tokenizer }) => {
  const original = join(dir, `${arch}.gguf`);
  const hf = join(dir, `${arch}-hf`);
  const back = join(dir, `${arch}-back.gguf`);
  let models: LlamaModel[] = [];

  beforeAll(async () => {
    const raw = join(dir, `${arch}-raw.gguf`);
    await initModel(raw, {
      arch,
      vocabSize: 512,
      dim: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      ffn: 128,
      contextLength: 256,
      tokenizer,
      bpePre: 'qwen2',
      seed: 7,
    });
    await sharpenAttention(raw, original);
    await exportHf(original, hf);
    const r = runCli(['convert', hf, back, '--outtype', 'f32', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const llama = await llamaEngine();
    models = [
      await llama.loadModel({ modelPath: original, gpuLayers: 0 }),
      await llama.loadModel({ modelPath: back, gpuLayers: 0 }),
    ];
  });
  afterAll(async () => {
    for (const m of models) await m.dispose();
  });

  it('gives back identical tensors and metadata', () => {
    const a = GgufFile.open(original);
    const b = GgufFile.open(back);
    try {
      expect(b.tensors.map((t) => [t.name, t.type, t.ne])).toEqual(a.tensors.map((t) => [t.name, t.type, t.ne]));
      for (const t of a.tensors) expect(bytes(b.readTensorBytes(t.name))).toEqual(bytes(a.readTensorBytes(t.name)));
      const meta = (f: GgufFile) =>
        Object.fromEntries(
          [...f.metadata].filter(([k]) => k !== 'general.name').map(([k, v]) => [k, [v.type, toJsonValue(v)]]),
        );
      expect(meta(b)).toEqual(meta(a));
    } finally {
      a.close();
      b.close();
    }
  });

  it('gives identical llama.cpp tokens and next-token probabilities', async () => {
    const [a, b] = models;
    const tokens = Array.from(a.tokenize(PROMPT, true));
    expect(Array.from(b.tokenize(PROMPT, true))).toEqual(tokens);
    const probs = [];
    for (const m of models) {
      const ctx = await createContext(m, { contextSize: 256, exact: true });
      probs.push(await nextTokenProbabilities(ctx, tokens, 512));
      await ctx.dispose();
    }
    expect(probs[0].length).toBe(tokens.length);
    expect(maxAbsDiff(probs[0], probs[1])).toBe(0);
  });

  it('matches an HF-semantics float64 forward on the exported folder (q/k permutation direction)', async () => {
    const file = GgufFile.open(original);
    const cfg = configFromGguf(
      file.metadata,
      file.tensors.map((t) => t.name),
    );
    file.close();
    const tokens = Array.from(models[0].tokenize(PROMPT, true)).slice(0, 24);
    const ctx = await createContext(models[0], { contextSize: 256, exact: true });
    const llamaCpp = await nextTokenProbabilities(ctx, tokens, cfg.vocabSize);
    await ctx.dispose();
    const reference = hfReferenceProbabilities(hf, cfg, tokens);
    expect(maxAbsDiff(llamaCpp, reference)).toBeLessThan(1e-4);
  });

  it.runIf(tokenizer === 'spm')(
    'builds an SPM vocabulary from tokenizer.json alone that llama.cpp uses like the original',
    async () => {
      const noModel = join(dir, `${arch}-hf-json-only`);
      cpSync(hf, noModel, { recursive: true });
      rmSync(join(noModel, 'tokenizer.model'));
      const out = join(dir, `${arch}-json-only.gguf`);
      await convertHfToGguf(noModel, out, { outtype: 'f32' });
      const m = await (await llamaEngine()).loadModel({ modelPath: out, vocabOnly: true });
      try {
        const mismatches: unknown[] = [];
        for (const text of buildCorpus(300, 13)) {
          const expected = Array.from(models[0].tokenize(text, true));
          const got = Array.from(m.tokenize(text, true));
          if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push({ text, got, expected });
        }
        expect(mismatches.slice(0, 3)).toEqual([]);
      } finally {
        await m.dispose();
      }
    },
  );

  it('exports a tokenizer.json that @huggingface/tokenizers reads like llama.cpp on plain text', () => {
    const hfTok = loadHfTokenizer(hf);
    const mismatches: unknown[] = [];
    for (const text of buildCorpus(300, 11)) {
      if (/<|▁|\p{Cn}|\p{Co}|\p{Cs}/u.test(text)) continue; // special-token text and code points HF normalizes differently
      const expected = Array.from(models[0].tokenize(text, false));
      const got = hfTok.encode(text, { add_special_tokens: false }).ids;
      if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push({ text, got, expected });
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
  });
});

describe('convert --outtype', () => {
  const original = join(dir, 'outtype.gguf');
  const hf = join(dir, 'outtype-hf');

  beforeAll(async () => {
    await initModel(original, {
      arch: 'llama',
      vocabSize: 512,
      dim: 64,
      layers: 1,
      heads: 4,
      ffn: 128,
      contextLength: 128,
      seed: 3,
    });
    await exportHf(original, hf);
  });

  it('q8_0 stores 2-D weights exactly as ggml quantizes them, keeps 1-D tensors F32, and llama.cpp loads it', async () => {
    const out = join(dir, 'outtype-q8_0.gguf');
    await convertHfToGguf(hf, out, { outtype: 'q8_0' });
    const a = GgufFile.open(original);
    const b = GgufFile.open(out);
    try {
      expect(b.metadata.get('general.file_type')?.value).toBe(7);
      for (const t of a.tensors) {
        const q = b.tensor(t.name);
        if (t.ne.length === 1) {
          expect(q.type).toBe(GgmlType.F32);
          continue;
        }
        expect(q.type).toBe(GgmlType.Q8_0);
        expect(bytes(b.readTensorBytes(t.name))).toEqual(
          bytes(ggmlQuantizeChunk(GgmlType.Q8_0, readTensorF32(a, t.name), t.ne[0])),
        );
      }
    } finally {
      a.close();
      b.close();
    }
    const model = await (await llamaEngine()).loadModel({ modelPath: out, gpuLayers: 0 });
    expect(model.tokenize('hello world', false).length).toBeGreaterThan(0);
    await model.dispose();
  });

  it.each(['f16', 'bf16'] as const)('%s stores 2-D weights as ggml rounds them', async (outtype) => {
    const out = join(dir, `outtype-${outtype}.gguf`);
    await convertHfToGguf(hf, out, { outtype });
    const type = outtype === 'f16' ? GgmlType.F16 : GgmlType.BF16;
    const a = GgufFile.open(original);
    const b = GgufFile.open(out);
    try {
      for (const t of a.tensors.filter((x) => x.ne.length === 2)) {
        expect(b.tensor(t.name).type).toBe(type);
        expect(bytes(b.readTensorBytes(t.name))).toEqual(
          bytes(ggmlQuantizeChunk(type, readTensorF32(a, t.name), t.ne[0])),
        );
      }
    } finally {
      a.close();
      b.close();
    }
  });
});
