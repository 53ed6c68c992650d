// The quantization pool's worker: converts a run of rows between ggml types in shared memory, or hashes a byte
// range of a file. Tasks carry SharedArrayBuffers, so no tensor data is copied between threads.

import { closeSync, openSync, readSync } from 'node:fs';
import { createBLAKE3, type IHasher } from 'hash-wasm';
import { GgmlType, tensorBytes } from '../gguf/constants.ts';
import { dequantizeInto, quantizeInto } from './codecs.ts';
import { findNonFinite } from './validate.ts';

export interface ConvertTask {
  readonly kind: 'convert';
  readonly from: GgmlType;
  readonly to: GgmlType;
  /** Number of values to convert (whole rows). */
  readonly count: number;
  readonly src: SharedArrayBuffer;
  readonly srcOffset: number;
  readonly dst: SharedArrayBuffer;
  readonly dstOffset: number;
}

export interface HashTask {
  readonly kind: 'hash';
  readonly path: string;
  /** Absolute file offset and length of the bytes to hash. */
  readonly offset: number;
  readonly length: number;
}

export type WorkerTask = ConvertTask | HashTask;

export interface ConvertResult {
  /** Index of the first non-finite value or block scale in the output, -1 when all are finite. */
  readonly nonFinite: number;
}

let scratch = new Float32Array(0);

function convert(t: ConvertTask): ConvertResult {
  const out = new Uint8Array(t.dst, t.dstOffset, tensorBytes(t.to, t.count));
  let values: Float32Array;
  if (t.from === GgmlType.F32) {
    values = new Float32Array(t.src, t.srcOffset, t.count);
  } else {
    if (scratch.length < t.count) scratch = new Float32Array(t.count);
    values = scratch.subarray(0, t.count);
    dequantizeInto(t.from, new Uint8Array(t.src, t.srcOffset, tensorBytes(t.from, t.count)), values);
  }
  quantizeInto(t.to, values, out);
  return { nonFinite: findNonFinite(t.to, out) };
}

let blake3: Promise<IHasher> | undefined;
const HASH_CHUNK = 4 << 20;

async function hash(t: HashTask): Promise<string> {
  blake3 ??= createBLAKE3();
  const hasher = await blake3;
  hasher.init();
  const fd = openSync(t.path, 'r');
  try {
    const buf = new Uint8Array(Math.min(HASH_CHUNK, Math.max(t.length, 1)));
    for (let done = 0; done < t.length; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, t.length - done), t.offset + done);
      if (n === 0) throw new Error(`${t.path}: unexpected end of file at offset ${t.offset + done}`);
      hasher.update(buf.subarray(0, n));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return hasher.digest('hex');
}

export default function run(task: WorkerTask): ConvertResult | Promise<string> {
  return task.kind === 'convert' ? convert(task) : hash(task);
}
