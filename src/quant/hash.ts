// Content hashes of tensor data (BLAKE3 from hash-wasm), computed on the quantization pool, one tensor per task.
// The universal model uses them to store tensors that several files share only once.

import { GGML_TYPES } from '../gguf/constants.ts';
import { GgufFile } from '../gguf/reader.ts';
import { QuantPool } from './pool.ts';

export interface TensorHash {
  readonly name: string;
  readonly type: string;
  readonly ne: readonly number[];
  readonly nBytes: number;
  /** BLAKE3-256 of the tensor's data bytes (padding excluded), as lowercase hex. */
  readonly blake3: string;
}

export interface HashTensorsOptions {
  /** Worker threads; defaults to one per core. Ignored when `pool` is given. */
  readonly threads?: number;
  /** Reuse an existing pool (it is left running). */
  readonly pool?: QuantPool;
}

/** Hashes every tensor of a GGUF file, in file order. */
export async function hashTensors(file: string | GgufFile, options: HashTensorsOptions = {}): Promise<TensorHash[]> {
  const gguf = typeof file === 'string' ? GgufFile.open(file) : file;
  const pool = options.pool ?? new QuantPool(options.threads);
  try {
    const hashes = await Promise.all(
      gguf.tensors.map((t) => pool.hash({ path: gguf.path, offset: gguf.dataOffset + t.offset, length: t.nBytes })),
    );
    return gguf.tensors.map((t, i) => ({
      name: t.name,
      type: GGML_TYPES[t.type].name,
      ne: t.ne,
      nBytes: t.nBytes,
      blake3: hashes[i],
    }));
  } finally {
    if (typeof file === 'string') gguf.close();
    if (!options.pool) await pool.destroy();
  }
}
