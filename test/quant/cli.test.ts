import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../../src/gguf/constants.ts';
import { kv } from '../../src/gguf/metadata.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { initModel } from '../../src/model/init-model.ts';
import { type CliResult, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { llamaModelQuantize } from './ggml-oracle.ts';

const dir = tempDir('meetara-quant-cli-');
const model = join(dir, 'model.gguf');

const meetara = (...args: string[]) => runCli(args);

/** A failure prints exactly one line, and leaves neither the output nor a temporary file behind. */
function expectCleanFailure(r: CliResult, message: RegExp, out: string) {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(readdirSync(dir).filter((f) => f.includes(out.split('/').pop()!))).toEqual([]);
}

beforeAll(async () => {
  await initModel(model, { arch: 'llama', vocabSize: 512, dim: 256, layers: 2, heads: 4, ffn: 512, contextLength: 64 });
});

describe('meetara quantize', () => {
  it('writes the same file as llama-quantize and reports as JSON', () => {
    const out = join(dir, 'ours.gguf');
    const r = meetara('quantize', model, out, '--type', 'q4_k_m', '--threads', '2', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.fileType).toBe('Q4_K_M');
    expect(report.threads).toBe(2);
    expect(report.tensors.find((t: { name: string }) => t.name === 'output.weight').to).toBe('Q6_K');
    const theirs = join(dir, 'theirs.gguf');
    expect(llamaModelQuantize(model, theirs, 15, { threads: 2 })).toBe(0);
    expect(readFileSync(out).equals(readFileSync(theirs))).toBe(true);
  });

  it('refuses an unknown --type', () => {
    const out = join(dir, 'bad-type.gguf');
    expectCleanFailure(meetara('quantize', model, out, '--type', 'Q9_X'), /unknown quantization type 'Q9_X'/, out);
  });

  it('refuses an input that is not GGUF', () => {
    const input = join(dir, 'notes.txt');
    writeFileSync(input, 'these are not weights\n');
    const out = join(dir, 'from-text.gguf');
    expectCleanFailure(meetara('quantize', input, out, '--type', 'Q8_0'), /not a GGUF file/, out);
  });

  it('refuses a tensor whose row length is not a whole number of its blocks', async () => {
    // A Q8_0 tensor with rows of 64, then patched to claim rows of 48: no block layout can hold that.
    const input = join(dir, 'bad-rows.gguf');
    const metadata = new Map([
      ['general.architecture', kv.str('llama')],
      ['llama.block_count', kv.u32(1)],
    ]);
    const data = new Uint8Array(2 * 2 * 34);
    await writeGguf(input, {
      metadata,
      tensors: [{ name: 'blk.0.ffn_up.weight', type: GgmlType.Q8_0, ne: [64, 2], data }],
    });
    const bytes = readFileSync(input);
    const at = bytes.indexOf(Buffer.from('blk.0.ffn_up.weight')) + 'blk.0.ffn_up.weight'.length + 4;
    bytes.writeBigUInt64LE(48n, at);
    writeFileSync(input, bytes);
    const out = join(dir, 'from-bad-rows.gguf');
    expectCleanFailure(
      meetara('quantize', input, out, '--type', 'Q4_0', '--allow-requantize'),
      /row length ne\[0\]=48, not a multiple of its block size 32/,
      out,
    );
  });

  it('refuses an output path it cannot write', () => {
    const out = join(dir, 'no-such-folder', 'out.gguf');
    const r = meetara('quantize', model, out, '--type', 'Q8_0');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot write/);
  });

  it('refuses to requantize without --allow-requantize', () => {
    const q8 = join(dir, 'q8.gguf');
    expect(meetara('quantize', model, q8, '--type', 'Q8_0').code).toBe(0);
    const out = join(dir, 'requant.gguf');
    expectCleanFailure(meetara('quantize', q8, out, '--type', 'Q4_K_M'), /--allow-requantize/, out);
    expect(meetara('quantize', q8, out, '--type', 'Q4_K_M', '--allow-requantize').code).toBe(0);
  });

  it('leaves no partial file when a tensor fails halfway through the output', async () => {
    // The second tensor's weights overflow the f16 scales; the first one has already been written by then.
    const input = join(dir, 'overflow.gguf');
    const metadata = new Map([
      ['general.architecture', kv.str('llama')],
      ['llama.block_count', kv.u32(1)],
    ]);
    const ok = new Float32Array(64 * 4).fill(0.5);
    const huge = new Float32Array(64 * 4).fill(1e30);
    await writeGguf(input, {
      metadata,
      tensors: [
        { name: 'blk.0.ffn_gate.weight', type: GgmlType.F32, ne: [64, 4], data: new Uint8Array(ok.buffer) },
        { name: 'blk.0.ffn_up.weight', type: GgmlType.F32, ne: [64, 4], data: new Uint8Array(huge.buffer) },
      ],
    });
    const out = join(dir, 'overflowed.gguf');
    expectCleanFailure(meetara('quantize', input, out, '--type', 'Q4_0'), /ffn_up.weight' gives non-finite Q4_0/, out);
    // llama.cpp refuses the same file.
    expect(llamaModelQuantize(input, join(dir, 'overflowed-llama.gguf'), 2)).not.toBe(0);
  });

  it('has --help', () => {
    const r = meetara('quantize', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--type <type>/);
    expect(r.stdout).toMatch(/--allow-requantize/);
  });
});
