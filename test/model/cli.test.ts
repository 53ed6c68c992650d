// `meetara tokenize` against llama.cpp, and bad input through the CLI: each a one-line error that names the file
// and the field, exit code 1. Further refusals are checked through the library.

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { llamaEngine } from '../../src/eval/llama.ts';
import { kv } from '../../src/gguf/metadata.ts';
import { GgufFile } from '../../src/gguf/reader.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { configFromHfConfig } from '../../src/model/config.ts';
import { convertHfToGguf } from '../../src/model/convert.ts';
import { exportHf } from '../../src/model/export-hf.ts';
import { initModel } from '../../src/model/init-model.ts';
import { writeSafetensors } from '../../src/model/safetensors.ts';
import { vocabFromGguf } from '../../src/model/tokenizer/vocab.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('meetara-model-cli-');
const model = join(dir, 'bpe.gguf');
const hf = join(dir, 'hf');

/** A copy of the HF folder with one file changed. */
function variant(name: string, change: (d: string) => void): string {
  const d = join(dir, name);
  cpSync(hf, d, { recursive: true });
  change(d);
  return d;
}

function expectOneLineError(r: { code: number; stderr: string }, ...parts: (string | RegExp)[]) {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  for (const p of parts) expect(lines[0]).toMatch(p);
}

beforeAll(async () => {
  await initModel(model, {
    arch: 'qwen2',
    vocabSize: 512,
    dim: 32,
    layers: 1,
    heads: 2,
    ffn: 64,
    contextLength: 128,
    tokenizer: 'bpe',
    bpePre: 'llama-bpe',
  });
  await exportHf(model, hf);
});

describe('meetara tokenize', () => {
  it('prints the ids llama.cpp produces (BOS added, special tokens parsed) and their pieces', async () => {
    const text = "<|im_start|>user\nI'm worried about 2025 🦙<|im_end|>\n";
    const r = runCli(['tokenize', model, '--text', text, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ids: number[]; pieces: string[] };
    const llama = await (await llamaEngine()).loadModel({ modelPath: model, vocabOnly: true });
    try {
      const bos = llama.tokens.shouldPrependBosToken ? [llama.tokens.bos] : [];
      expect(out.ids).toEqual([...bos, ...Array.from(llama.tokenize(text, true))]);
      expect(out.pieces).toEqual(out.ids.map((id) => llama.detokenize([id] as never, true)));
    } finally {
      await llama.dispose();
    }
  });

  it('refuses an unsupported tokenizer type naming the file and field', async () => {
    const bad = join(dir, 'bert.gguf');
    const src = GgufFile.open(model);
    const metadata = new Map(src.metadata);
    metadata.set('tokenizer.ggml.model', kv.str('bert'));
    await writeGguf(bad, {
      metadata,
      tensors: src.tensors.map((t) => ({
        name: t.name,
        type: t.type,
        ne: t.ne,
        data: () => src.readTensorBytes(t.name),
      })),
    });
    src.close();
    expectOneLineError(
      runCli(['tokenize', bad, '--text', 'hi']),
      bad,
      "field 'tokenizer.ggml.model' is 'bert'",
      /supported: llama, gpt2/,
    );
  });
});

describe('meetara convert refuses bad input', () => {
  it('a safetensors header that runs past the end of the file', () => {
    const d = variant('past-end', (x) => {
      const f = join(x, 'model.safetensors');
      const bytes = readFileSync(f);
      bytes.writeBigUInt64LE(BigInt(bytes.byteLength), 0);
      writeFileSync(f, bytes);
    });
    expectOneLineError(
      runCli(['convert', d, join(dir, 'x.gguf')]),
      join(d, 'model.safetensors'),
      /header length \d+ .*past the end/,
    );
  });

  it('a dtype we do not support', async () => {
    const d = variant('dtype', () => {});
    await writeSafetensors(join(d, 'model.safetensors'), [
      { name: 'model.embed_tokens.weight', dtype: 'F32', shape: [1], data: new Float32Array(1) },
    ]);
    const f = join(d, 'model.safetensors');
    writeFileSync(
      f,
      readFileSync(f, 'latin1').replace('"F32"', '"F64"').replace('[0,4]', '[0,8]') + '\0'.repeat(4),
      'latin1',
    );
    expectOneLineError(runCli(['convert', d, join(dir, 'x.gguf')]), f, "field 'dtype' is F64, which is not supported");
  });

  it('missing config.json keys', () => {
    const d = variant('config', (x) => {
      const c = JSON.parse(readFileSync(join(x, 'config.json'), 'utf8'));
      delete c.hidden_size;
      writeFileSync(join(x, 'config.json'), JSON.stringify(c));
    });
    expectOneLineError(
      runCli(['convert', d, join(dir, 'x.gguf')]),
      join(d, 'config.json'),
      "field 'hidden_size' is missing",
    );
  });

  it('a tokenizer type we do not support', () => {
    const d = variant('unigram', (x) => {
      const t = JSON.parse(readFileSync(join(x, 'tokenizer.json'), 'utf8'));
      t.model.type = 'Unigram';
      writeFileSync(join(x, 'tokenizer.json'), JSON.stringify(t));
    });
    expectOneLineError(
      runCli(['convert', d, join(dir, 'x.gguf')]),
      join(d, 'tokenizer.json'),
      "field 'model.type' is 'Unigram'",
    );
  });
});

describe('other refusals name what is unsupported', () => {
  const config = () => JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8'));

  it('architectures and rope scaling kinds', () => {
    expect(() => configFromHfConfig({ ...config(), model_type: 'phi3' }, 'c.json')).toThrow(
      "c.json: field 'model_type': architecture 'phi3' is not supported yet (supported: llama, qwen2)",
    );
    expect(() => configFromHfConfig({ ...config(), rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'c.json')).toThrow(
      "rope scaling 'yarn', which is not supported yet",
    );
    expect(configFromHfConfig({ ...config(), rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    expect(() => configFromHfConfig({ ...config(), hidden_act: 'gelu' })).toThrow(/'hidden_act' is 'gelu'/);
  });

  it('BPE pre-tokenizers we do not implement', () => {
    const src = GgufFile.open(model);
    const md = new Map(src.metadata);
    src.close();
    md.set('tokenizer.ggml.pre', kv.str('falcon'));
    expect(() => vocabFromGguf(md, 'm.gguf')).toThrow(
      "m.gguf: field 'tokenizer.ggml.pre' is 'falcon', which is not supported yet",
    );
  });

  it('a tokenizer.json pre-tokenizer we cannot recognise, and a tensor whose shape does not fit config.json', async () => {
    const d = variant('pre', (x) => {
      const t = JSON.parse(readFileSync(join(x, 'tokenizer.json'), 'utf8'));
      t.pre_tokenizer = { type: 'Whitespace' };
      writeFileSync(join(x, 'tokenizer.json'), JSON.stringify(t));
    });
    await expect(convertHfToGguf(d, join(dir, 'x.gguf'))).rejects.toThrow(
      /field 'pre_tokenizer' is not a pre-tokenizer we support/,
    );
    const e = variant('shape', () => {});
    const cfg = JSON.parse(readFileSync(join(e, 'config.json'), 'utf8'));
    writeFileSync(join(e, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 32 }));
    await expect(convertHfToGguf(e, join(dir, 'x.gguf'))).rejects.toThrow(
      /has shape \[64,32\], but config.json implies \[32,32\]/,
    );
  });
});
