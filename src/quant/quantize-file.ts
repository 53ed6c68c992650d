// quantizeFile: what `llama-quantize IN OUT TYPE` does, with the same output bytes. Tensors stream one at a time
// in slabs of rows through the worker pool into the atomic GGUF writer, so memory stays flat in model size
// (two input and two output slabs, reused), and reading the next slab overlaps with converting the current one.

import { closeSync, openSync, readSync } from 'node:fs';
import { GgufFormatError, InputError } from '../errors.ts';
import { fileTypeName, GGML_TYPES, type GgmlType, GgufValueType, type LlamaFileType } from '../gguf/constants.ts';
import { type GgufMetadata, getInt, kv } from '../gguf/metadata.ts';
import { GgufFile, type GgufTensorInfo, nBytesOf } from '../gguf/reader.ts';
import { writeGguf } from '../gguf/writer.ts';
import { startProgress } from '../util/progress.ts';
import { hasCodec } from './codecs.ts';
import { llamaTensorOrder, type ModelShape, parseQuantType, planTensorTypes, type TensorShape } from './mixes.ts';
import { QuantPool } from './pool.ts';

export interface QuantizeFileOptions {
  /** A llama-quantize type name (Q4_K_M, Q8_0, ...) or a llama file type id. */
  readonly type: string | LlamaFileType;
  /** Worker threads; defaults to one per core. Ignored when `pool` is given. */
  readonly threads?: number;
  /** Allow converting tensors that are already quantized (Q8_0 -> Q4_K, ...). */
  readonly allowRequantize?: boolean;
  /** Show a progress bar on stderr (default true; silent under tests and MEETARA_QUIET=1). */
  readonly progress?: boolean;
  /** Reuse an existing pool (it is left running). */
  readonly pool?: QuantPool;
}

export interface QuantizedTensorReport {
  readonly name: string;
  readonly ne: readonly number[];
  readonly from: string;
  readonly to: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface QuantizeFileResult {
  readonly input: string;
  readonly output: string;
  readonly fileType: string;
  readonly threads: number;
  readonly tensors: readonly QuantizedTensorReport[];
  /** Sizes of the input and output files in bytes. */
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly seconds: number;
}

/** About 4 M values per slab: large enough to keep every worker busy, small enough to stay cache-friendly. */
const SLAB_VALUES = 1 << 22;

const typeName = (t: GgmlType) => GGML_TYPES[t].name;
const isQuantized = (t: GgmlType) => GGML_TYPES[t].blockSize > 1;

/** LLM_TYPE_70B as llama.cpp's per-architecture hparams loaders set it (it changes attn_v's type). */
function is70B(arch: string, nLayer: number, nHead: number, nHeadKv: number): boolean {
  if (arch === 'llama') return nLayer === 80 && nHead !== nHeadKv;
  if (arch === 'qwen2' || arch === 'deci' || arch === 'olmo') return nLayer === 80;
  if (arch === 'jais2') return nLayer === 68;
  return false;
}

/** The model facts the mix rules use, read from metadata the way llama.cpp's loader reads them. */
export function modelShapeOf(md: GgufMetadata, where: string): ModelShape {
  const archKv = md.get('general.architecture');
  if (archKv?.type !== GgufValueType.STRING) {
    throw new InputError(
      `${where}: metadata has no general.architecture string, so it is not a model llama.cpp can quantize`,
    );
  }
  const arch = archKv.value as string;
  const first = (key: string, fallback: number): number => {
    const v = md.get(key);
    if (!v) return fallback;
    if (v.type === GgufValueType.ARRAY) return Number((v.value as ArrayLike<number | bigint>)[0] ?? fallback);
    return getInt(md, key);
  };
  const nLayer = first(`${arch}.block_count`, Number.NaN);
  if (!Number.isInteger(nLayer) || nLayer <= 0) {
    throw new InputError(`${where}: metadata key '${arch}.block_count' is missing or not a positive integer`);
  }
  const nHead = first(`${arch}.attention.head_count`, 0);
  const nHeadKv = first(`${arch}.attention.head_count_kv`, nHead);
  return {
    arch,
    nLayer,
    nGqa: nHeadKv > 0 ? Math.trunc(nHead / nHeadKv) : 0,
    nExpert: first(`${arch}.expert_count`, 0),
    is70B: is70B(arch, nLayer, nHead, nHeadKv),
  };
}

/** The input's metadata with file type and quantization version moved to the end, as gguf_set_val_u32 does. */
function outputMetadata(md: GgufMetadata, ftype: LlamaFileType): GgufMetadata {
  const dropped = [
    'general.quantization_version',
    'general.file_type',
    'split.no',
    'split.count',
    'split.tensors.count',
  ];
  const out: GgufMetadata = new Map([...md].filter(([key]) => !dropped.includes(key)));
  out.set('general.quantization_version', kv.u32(2));
  out.set('general.file_type', kv.u32(ftype));
  return out;
}

export interface QuantizedFilePlan<T extends TensorShape> {
  /** The output's metadata. */
  readonly metadata: GgufMetadata;
  /** The input's tensors in the order they are written (llama.cpp's). */
  readonly tensors: T[];
  /** The ggml type each of them is written as. */
  readonly targets: GgmlType[];
}

/**
 * Everything quantizeFile decides before reading any tensor data: the output metadata, tensor order and each
 * tensor's type. Throws, as quantizeFile does, when a tensor cannot be converted or would be requantized.
 */
export function planQuantizedFile<T extends TensorShape>(
  md: GgufMetadata,
  inputTensors: readonly T[],
  ftype: LlamaFileType,
  input: string,
  allowRequantize = false,
): QuantizedFilePlan<T> {
  const shape = modelShapeOf(md, input);
  const tensors = llamaTensorOrder(inputTensors);
  const targets = planTensorTypes(tensors, ftype, shape);
  tensors.forEach((t, i) => {
    if (targets[i] === t.type) return;
    if (!hasCodec(t.type)) {
      throw new InputError(
        `${input}: tensor '${t.name}' is ${typeName(t.type)}, which cannot be converted; start from an F32, F16, BF16 or Q8_0 model`,
      );
    }
    if (isQuantized(t.type) && !allowRequantize) {
      throw new InputError(
        `${input}: tensor '${t.name}' is already quantized (${typeName(t.type)}); requantizing it to ${typeName(targets[i])} ` +
          'compounds the error. Start from the F32/F16/BF16 model, or pass --allow-requantize to do it anyway',
      );
    }
  });
  return { metadata: outputMetadata(md, ftype), tensors, targets };
}

/** Double-buffered shared memory for slabs: input bytes and output bytes, reused across tensors. */
class SlabBuffers {
  private inputs: SharedArrayBuffer[] = [];
  private outputs: SharedArrayBuffer[] = [];
  input(k: number, bytes: number): SharedArrayBuffer {
    return grow(this.inputs, k % 2, bytes);
  }
  output(k: number, bytes: number): SharedArrayBuffer {
    return grow(this.outputs, k % 2, bytes);
  }
}

function grow(list: SharedArrayBuffer[], i: number, bytes: number): SharedArrayBuffer {
  if (!list[i] || list[i].byteLength < bytes) list[i] = new SharedArrayBuffer(Math.max(bytes, 8));
  return list[i];
}

/** Reads `t` and yields it converted to `to`, slab by slab, converting each slab's rows on the pool. */
async function* convertedTensor(
  file: GgufFile,
  fd: number,
  t: GgufTensorInfo,
  to: GgmlType,
  pool: QuantPool,
  buffers: SlabBuffers,
  onSlab: (bytesIn: number) => void,
): AsyncGenerator<Uint8Array> {
  const rowLength = t.ne[0];
  const rows = t.nElements / rowLength;
  const rowBytesIn = nBytesOf(t.type, [rowLength]);
  const rowBytesOut = nBytesOf(to, [rowLength]);
  const slabRows = Math.max(1, Math.floor(SLAB_VALUES / rowLength));
  const nSlabs = Math.ceil(rows / slabRows);
  const rowsOf = (k: number) => Math.min(slabRows, rows - k * slabRows);

  const read = (k: number) => {
    const bytes = rowsOf(k) * rowBytesIn;
    const into = new Uint8Array(buffers.input(k, bytes), 0, bytes);
    readFully(fd, into, file.dataOffset + t.offset + k * slabRows * rowBytesIn, file.path);
  };
  const dispatch = (k: number): Promise<void> => {
    const src = buffers.input(k, 0);
    const dst = buffers.output(k, rowsOf(k) * rowBytesOut);
    const chunks = Math.min(pool.threads, rowsOf(k));
    const tasks: Promise<void>[] = [];
    for (let c = 0; c < chunks; c++) {
      const r0 = Math.floor((c * rowsOf(k)) / chunks);
      const r1 = Math.floor(((c + 1) * rowsOf(k)) / chunks);
      const task = { from: t.type, to, count: (r1 - r0) * rowLength, src, srcOffset: r0 * rowBytesIn, dst };
      tasks.push(
        pool.convert({ ...task, dstOffset: r0 * rowBytesOut }).then(({ nonFinite }) => {
          if (nonFinite >= 0) {
            throw new InputError(
              `${file.path}: tensor '${t.name}' gives non-finite ${typeName(to)} values (row ${k * slabRows + r0} or later); ` +
                'its weights hold NaN or infinity, or exceed the f16 range. llama.cpp refuses such tensors too',
            );
          }
        }),
      );
    }
    return Promise.all(tasks).then(() => {});
  };

  read(0);
  let pending = dispatch(0);
  if (nSlabs > 1) read(1);
  for (let k = 0; k < nSlabs; k++) {
    await pending;
    if (k + 1 < nSlabs) pending = dispatch(k + 1);
    yield new Uint8Array(buffers.output(k, 0), 0, rowsOf(k) * rowBytesOut);
    onSlab(rowsOf(k) * rowBytesIn);
    if (k + 2 < nSlabs) read(k + 2);
  }
}

/** Reads exactly into.byteLength bytes at `position` (straight into shared memory, no copy). */
function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  for (let done = 0; done < into.byteLength; ) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) throw new GgufFormatError(`${path}: unexpected end of file at offset ${position + done}`);
    done += n;
  }
}

/** Copies a tensor unchanged, in 16 MiB chunks through one reused buffer (the writer is done with each chunk). */
async function* copiedTensor(file: GgufFile, t: GgufTensorInfo, onSlab: (n: number) => void) {
  for (const chunk of file.streamTensorBytes(t.name, 16 << 20, true)) {
    yield chunk;
    onSlab(chunk.byteLength);
  }
}

/** Quantizes a GGUF model file the way llama-quantize does (no imatrix), writing `output` atomically. */
export async function quantizeFile(
  input: string,
  output: string,
  options: QuantizeFileOptions,
): Promise<QuantizeFileResult> {
  const started = performance.now();
  const ftype = typeof options.type === 'number' ? options.type : parseQuantType(options.type);
  const file = GgufFile.open(input);
  let fd = -1;
  let pool = options.pool;
  try {
    const plan = planQuantizedFile(file.metadata, file.tensors, ftype, input, options.allowRequantize);
    const { tensors, targets } = plan;

    fd = openSync(input, 'r');
    pool ??= new QuantPool(options.threads);
    const workers = pool;
    const totalIn = tensors.reduce((s, t) => s + t.nBytes, 0);
    const progress =
      options.progress === false
        ? undefined
        : startProgress({ label: `quantize ${fileTypeName(ftype)}`, total: totalIn, unit: 'MB', scale: 1e6 });
    let doneIn = 0;
    let tensorsDone = 0;
    const onSlab = (bytes: number) => {
      doneIn += bytes;
      progress?.update(doneIn, `${tensorsDone}/${tensors.length} tensors`);
    };

    const buffers = new SlabBuffers();
    let outputBytes: number;
    try {
      outputBytes = await writeGguf(
        output,
        {
          metadata: plan.metadata,
          tensors: tensors.map((t, i) => ({
            name: t.name,
            type: targets[i],
            ne: t.ne,
            data: () =>
              targets[i] === t.type
                ? copiedTensor(file, t, onSlab)
                : convertedTensor(file, fd, t, targets[i], workers, buffers, onSlab),
          })),
        },
        () => {
          tensorsDone++;
          progress?.update(doneIn, `${tensorsDone}/${tensors.length} tensors`);
        },
      );
    } finally {
      progress?.stop();
    }

    return {
      input,
      output,
      fileType: fileTypeName(ftype),
      threads: workers.threads,
      tensors: tensors.map((t, i) => ({
        name: t.name,
        ne: t.ne,
        from: typeName(t.type),
        to: typeName(targets[i]),
        bytesIn: t.nBytes,
        bytesOut: nBytesOf(targets[i], t.ne),
      })),
      inputBytes: file.fileSize,
      outputBytes,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    if (err instanceof GgufFormatError && !err.message.includes(input))
      throw new GgufFormatError(`${input}: ${err.message}`);
    throw err;
  } finally {
    file.close();
    if (fd >= 0) closeSync(fd);
    if (pool && !options.pool) await pool.destroy();
  }
}
