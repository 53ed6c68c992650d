// quantizeFile next to llama.cpp's llama_model_quantize (libllama through koffi), on the same random F32 model
// of about 430 MB (107M weights), for Q8_0, Q4_0, Q4_K_M and Q6_K, at 1 thread and at all cores.
//   npx tsx bench/quant.bench.ts          (or: npm run bench -- quant)
// Columns:
//   llama.cpp   llama_model_quantize, as `llama-quantize IN OUT TYPE N` runs it
//   ours        quantizeFile end to end, as `meetara quantize` runs it: starting the worker pool included
//   ours, warm  quantizeFile on a pool that is already running (how the compress pipeline calls it)
// Both engines write the same bytes; the bench checks that too. Times are one run each (they take seconds),
// after a first read that puts the input in the page cache. Our kernels are the native ones when the addon is
// built; MEETARA_NO_NATIVE=1 times the TypeScript ones.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initModel } from '../src/model/init-model.ts';
import { QUANT_FILE_TYPES, type QuantTypeName } from '../src/quant/mixes.ts';
import { nativeKernels } from '../src/quant/native.ts';
import { QuantPool } from '../src/quant/pool.ts';
import { quantizeFile } from '../src/quant/quantize-file.ts';
import { llamaModelQuantize } from '../test/quant/ggml-oracle.ts';
import { printTable } from './harness.ts';

const TYPES: QuantTypeName[] = ['Q8_0', 'Q4_0', 'Q4_K_M', 'Q6_K'];

async function seconds(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meetara-quant-bench-'));
  try {
    const input = join(dir, 'model-f32.gguf');
    // 8 layers of dim 1024 / ffn 2816 (a multiple of 256) plus a 8192-token vocabulary: 107M weights.
    await initModel(input, {
      arch: 'llama',
      vocabSize: 8192,
      dim: 1024,
      layers: 8,
      heads: 16,
      kvHeads: 4,
      ffn: 2816,
      contextLength: 512,
    });
    readFileSync(input); // into the page cache
    const ours = join(dir, 'ours.gguf');
    const theirs = join(dir, 'llama.gguf');
    const rows: (string | number)[][] = [];
    for (const threads of [...new Set([1, availableParallelism()])]) {
      const pool = new QuantPool(threads);
      for (const type of TYPES) {
        const ftype = QUANT_FILE_TYPES[type];
        const llama = await seconds(() => {
          if (llamaModelQuantize(input, theirs, ftype, { threads }) !== 0) throw new Error('llama.cpp failed');
        });
        const cold = await seconds(() => quantizeFile(input, ours, { type, threads, progress: false }));
        const warm = await seconds(() => quantizeFile(input, ours, { type, pool, progress: false }));
        const same = readFileSync(ours).equals(readFileSync(theirs));
        rows.push([
          type,
          threads,
          llama.toFixed(2),
          cold.toFixed(2),
          warm.toFixed(2),
          (cold / llama).toFixed(2),
          (warm / llama).toFixed(2),
          same ? 'yes' : 'NO',
        ]);
        rmSync(ours, { force: true });
        rmSync(theirs, { force: true });
      }
      await pool.destroy();
    }
    printTable(
      `quantize a 428 MB F32 model (107M weights), ${nativeKernels ? 'native' : 'TypeScript'} kernels; seconds, one run each`,
      ['type', 'threads', 'llama.cpp s', 'ours s', 'ours, warm pool s', 'ratio', 'ratio, warm', 'same bytes'],
      rows,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
