// Bit-exactness of every block format against ggml itself (libggml-base through koffi): our quantized bytes
// must equal quantize_row_*_ref and ggml_quantize_chunk, and our dequantized floats must equal dequantize_row_*.
// Every quantize case runs through the TypeScript kernels and, when the addon is built, the native ones.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GGML_TYPES, GgmlType } from '../../src/gguf/constants.ts';
import { dequantize, quantize } from '../../src/quant/codecs.ts';
import { NATIVE_ADDON_PATH, nativeKernels } from '../../src/quant/native.ts';
import { Rng } from '../../src/util/random.ts';
import { ggmlDequantizeRow, ggmlQuantizeChunk, ggmlQuantizeRowRef } from './ggml-oracle.ts';
import { KERNELS } from './kernels.ts';

const BLOCK_TYPES = [
  GgmlType.Q8_0,
  GgmlType.Q4_0,
  GgmlType.Q4_1,
  GgmlType.Q5_0,
  GgmlType.Q5_1,
  GgmlType.Q2_K,
  GgmlType.Q3_K,
  GgmlType.Q4_K,
  GgmlType.Q5_K,
  GgmlType.Q6_K,
];

const N = 256 * 16; // 4096 values: 16 super-blocks, 128 legacy blocks
const N_PER_ROW = 1024;

function make(fill: (i: number, rng: Rng) => number, seed = 7): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: N }, (_, i) => fill(i, rng));
}

/** The value patterns the issue asks for, plus a few ranges where float16 scales underflow or overflow. */
const PATTERNS: Record<string, Float32Array> = {
  'random normal': make((_, r) => r.normal()),
  'random weights (std 0.02)': make((_, r) => r.normal() * 0.02),
  'random uniform, offset': make((_, r) => 3 + r.uniform()),
  constant: make(() => 0.7321),
  'negative constant': make(() => -12.5),
  'all zero': make(() => 0),
  'tiny (1e-6, f16 subnormal scales)': make((_, r) => r.normal() * 1e-6),
  'tiny (1e-20, scales flush to zero)': make((_, r) => r.normal() * 1e-20),
  'tiny (float32 subnormals)': make((_, r) => r.normal() * 1e-39),
  'huge (1e4, near the f16 limit)': make((_, r) => r.normal() * 1e4),
  'huge (1e30, f16 scales overflow)': make((_, r) => r.normal() * 1e30),
  'single outlier per 32': make((i, r) => (i % 32 === 5 ? 100 : r.normal() * 0.01)),
  'single outlier per 256': make((i, r) => (i % 256 === 131 ? -250 : r.normal() * 0.05)),
  'alternating sign': make((i) => (i % 2 ? -1 : 1) * (0.25 + (i % 7) * 0.1)),
  'alternating sign, equal magnitude': make((i) => (i % 2 ? -0.5 : 0.5)),
  'sparse (mostly zero)': make((_, r) => (r.uniform() < 0.9 ? 0 : r.normal())),
  'positive only': make((_, r) => Math.abs(r.normal())),
  'integers -8..7': make((_, r) => r.int(16) - 8),
  // Not weights a model should hold, but the C code has defined results for them and we match those too.
  '±FLT_MAX': make((i) => (i % 2 ? 3.4e38 : -3.4e38)),
  'with infinities': make((i, r) => (i % 97 === 3 ? Number.POSITIVE_INFINITY : r.normal())),
  'with NaNs': make((i, r) => (i % 97 === 3 ? Number.NaN : r.normal())),
};

const bitsEqual = (a: Float32Array, b: Float32Array) => {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
};

const firstDiff = (a: Uint8Array, b: Uint8Array) => a.findIndex((v, i) => v !== b[i]);

describe('native kernels', () => {
  it('load whenever the addon is built (unless MEETARA_NO_NATIVE=1) and cover every block type', () => {
    if (process.env.MEETARA_NO_NATIVE === '1') return expect(nativeKernels).toBeUndefined();
    expect(nativeKernels !== undefined).toBe(existsSync(NATIVE_ADDON_PATH));
    for (const type of nativeKernels ? BLOCK_TYPES : []) expect(nativeKernels?.types.has(type)).toBe(true);
  });
});

describe.each(BLOCK_TYPES.map((t) => [GGML_TYPES[t].name, t] as const))('%s', (_name, type) => {
  const cases = KERNELS.flatMap((kernels) => Object.entries(PATTERNS).map(([p, x]) => [kernels, p, x] as const));
  it.each(cases)('%s kernels, %s: bytes equal ggml', (kernels, _pattern, x) => {
    const ours = quantize(type, x, kernels);
    expect(ours.byteLength).toBe((N / GGML_TYPES[type].blockSize) * GGML_TYPES[type].typeSize);
    expect(firstDiff(ours, ggmlQuantizeRowRef(type, x))).toBe(-1);
    expect(firstDiff(ours, ggmlQuantizeChunk(type, x, N_PER_ROW))).toBe(-1);
  });

  it.each(Object.entries(PATTERNS))('%s: dequantized floats equal ggml', (_pattern, x) => {
    const bytes = ggmlQuantizeRowRef(type, x);
    expect(bitsEqual(dequantize(type, bytes, N), ggmlDequantizeRow(type, bytes, N))).toBe(-1);
  });

  it('dequantizes arbitrary bytes as ggml does', () => {
    // Random bit patterns reach scale and level combinations the quantizer never writes.
    const rng = new Rng(11);
    const bytes = Uint8Array.from({ length: (N / GGML_TYPES[type].blockSize) * GGML_TYPES[type].typeSize }, () =>
      rng.int(256),
    );
    expect(bitsEqual(dequantize(type, bytes, N), ggmlDequantizeRow(type, bytes, N))).toBe(-1);
  });
});

describe('the K-quant search shortcuts', () => {
  // makeQkx2Quants skips candidates it can prove lose (repeated levels, a lower bound from double moments,
  // an error sum that already exceeds the best). Many blocks of many shapes and scales pin that they are exact.
  const blocks = 1500;
  const rng = new Rng(99);
  const x = new Float32Array(256 * blocks);
  for (let b = 0; b < blocks; b++) {
    const scale = 10 ** (rng.uniform() * 40 - 20);
    const shape = b % 6;
    for (let i = 0; i < 256; i++) {
      const r = rng.normal();
      const v = [
        r,
        rng.uniform(),
        Math.abs(r) + 2,
        rng.uniform() < 0.05 ? r * 50 : r,
        Math.round(r * 3) / 3,
        (i % 32 < 16 ? 1 : -1) * (1 + rng.uniform() * 0.01),
      ][shape];
      x[b * 256 + i] = v * scale;
    }
  }
  const K_TYPES = [GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];
  it.each(KERNELS.flatMap((kernels) => K_TYPES.map((t) => [GGML_TYPES[t].name, kernels, t] as const)))(
    '%s, %s kernels: 1500 super-blocks over 40 decades of scale equal ggml',
    (_name, kernels, type) => {
      expect(firstDiff(quantize(type, x, kernels), ggmlQuantizeRowRef(type, x))).toBe(-1);
    },
  );
});

describe('length checks', () => {
  it.each(KERNELS)(
    '%s kernels: refuse a length that is not a whole number of blocks, naming type and block size',
    (k) => {
      expect(() => quantize(GgmlType.Q4_K, new Float32Array(320), k)).toThrow(/Q4_K.*block size 256/);
      expect(() => quantize(GgmlType.Q8_0, new Float32Array(48), k)).toThrow(/Q8_0.*block size 32/);
    },
  );
});
