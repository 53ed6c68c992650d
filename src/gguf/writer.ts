// Streaming, atomic GGUF writer. It serialises the header, metadata and tensor infos, then asks each tensor's
// source for its bytes in turn, so it never holds the model in memory. Layout follows llama.cpp's strict rules:
// data section aligned, offset[0] = 0, each tensor zero-padded to the alignment, tensors in info order.

import { GgufFormatError } from '../errors.ts';
import { withAtomicFile } from '../util/atomic-file.ts';
import {
  GGML_MAX_NAME,
  GGML_TYPES,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_MAX_DIMS,
  type GgmlType,
  GgufValueType,
  VALUE_TYPE_SIZE,
} from './constants.ts';
import type { GgufKv, GgufMetadata, GgufNumericArray } from './metadata.ts';
import { nBytesOf } from './reader.ts';

type Chunks = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface TensorToWrite {
  readonly name: string;
  readonly type: GgmlType;
  /** Shape in ggml order (ne[0] = row length). */
  readonly ne: readonly number[];
  /**
   * The tensor's bytes, or a callback producing them (called once, when the writer reaches this tensor).
   * Each chunk is fully written before the next is requested, so a source may reuse one buffer.
   */
  readonly data: Uint8Array | (() => Chunks | Promise<Chunks>);
}

export interface GgufToWrite {
  readonly metadata: GgufMetadata;
  readonly tensors: readonly TensorToWrite[];
  /** Defaults to 3. */
  readonly version?: number;
}

/** Grows a byte buffer with little-endian writes. */
class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number) {
    if (this.length + n <= this.buf.byteLength) return;
    let cap = this.buf.byteLength * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  bytes(b: Uint8Array) {
    this.ensure(b.byteLength);
    this.buf.set(b, this.length);
    this.length += b.byteLength;
  }
  u32(v: number) {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number | bigint) {
    this.ensure(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  string(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.byteLength);
    this.bytes(b);
  }
  scalar(type: GgufValueType, v: unknown, key: string) {
    const size = VALUE_TYPE_SIZE[type];
    if (type === GgufValueType.STRING) {
      if (typeof v !== 'string') throw new GgufFormatError(`metadata '${key}': expected a string, got ${typeof v}`);
      return this.string(v);
    }
    this.ensure(size);
    const dv = this.view;
    const o = this.length;
    const num = () => {
      if (typeof v !== 'number') throw new GgufFormatError(`metadata '${key}': expected a number, got ${typeof v}`);
      return v;
    };
    switch (type) {
      case GgufValueType.UINT8:
        dv.setUint8(o, num());
        break;
      case GgufValueType.INT8:
        dv.setInt8(o, num());
        break;
      case GgufValueType.UINT16:
        dv.setUint16(o, num(), true);
        break;
      case GgufValueType.INT16:
        dv.setInt16(o, num(), true);
        break;
      case GgufValueType.UINT32:
        dv.setUint32(o, num(), true);
        break;
      case GgufValueType.INT32:
        dv.setInt32(o, num(), true);
        break;
      case GgufValueType.FLOAT32:
        dv.setFloat32(o, num(), true);
        break;
      case GgufValueType.FLOAT64:
        dv.setFloat64(o, num(), true);
        break;
      case GgufValueType.UINT64:
        dv.setBigUint64(o, BigInt(v as bigint), true);
        break;
      case GgufValueType.INT64:
        dv.setBigInt64(o, BigInt(v as bigint), true);
        break;
      case GgufValueType.BOOL:
        dv.setUint8(o, v ? 1 : 0);
        break;
      default:
        throw new GgufFormatError(`metadata '${key}': unknown value type ${type}`);
    }
    this.length += size;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeKv(sink: ByteSink, key: string, kvp: GgufKv) {
  sink.string(key);
  sink.u32(kvp.type);
  if (kvp.type !== GgufValueType.ARRAY) return sink.scalar(kvp.type, kvp.value, key);
  sink.u32(kvp.itemType);
  const items = kvp.value;
  sink.u64(items.length);
  if (ArrayBuffer.isView(items)) {
    const arr = items as GgufNumericArray;
    const expected = VALUE_TYPE_SIZE[kvp.itemType];
    if (arr.BYTES_PER_ELEMENT !== expected) {
      throw new GgufFormatError(
        `metadata '${key}': typed array does not match item type ${GgufValueType[kvp.itemType]}`,
      );
    }
    sink.bytes(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  } else {
    for (const item of items) sink.scalar(kvp.itemType, item, key);
  }
}

export interface PlannedTensor extends TensorToWrite {
  readonly offset: number;
  readonly nBytes: number;
}

function alignmentOf(md: GgufMetadata): number {
  const a = md.get('general.alignment');
  if (!a) return GGUF_DEFAULT_ALIGNMENT;
  if (a.type !== GgufValueType.UINT32) throw new GgufFormatError('general.alignment must be a UINT32');
  const v = a.value as number;
  if (v === 0 || (v & (v - 1)) !== 0) throw new GgufFormatError(`general.alignment ${v} is not a power of 2`);
  return v;
}

const pad = (n: number, align: number) => Math.ceil(n / align) * align;

/** Validates tensors and lays them out back to back, each padded to the alignment. */
export function planTensors(tensors: readonly TensorToWrite[], alignment: number): PlannedTensor[] {
  const seen = new Set<string>();
  let offset = 0;
  return tensors.map((t) => {
    if (seen.has(t.name)) throw new GgufFormatError(`duplicate tensor name '${t.name}'`);
    seen.add(t.name);
    if (Buffer.byteLength(t.name) >= GGML_MAX_NAME) throw new GgufFormatError(`tensor name '${t.name}' is too long`);
    const info = GGML_TYPES[t.type];
    if (!info) throw new GgufFormatError(`tensor '${t.name}' has unknown ggml type ${t.type}`);
    if (t.ne.length === 0 || t.ne.length > GGUF_MAX_DIMS) {
      throw new GgufFormatError(`tensor '${t.name}' has ${t.ne.length} dimensions (1 to ${GGUF_MAX_DIMS} allowed)`);
    }
    if (t.ne[0] % info.blockSize !== 0) {
      throw new GgufFormatError(
        `tensor '${t.name}' row length ${t.ne[0]} is not a multiple of ${info.name}'s block size ${info.blockSize}`,
      );
    }
    const nBytes = nBytesOf(t.type, t.ne);
    const planned = { ...t, offset, nBytes };
    offset += pad(nBytes, alignment);
    return planned;
  });
}

/** The header, metadata and tensor infos, padded to the alignment: everything before the data section. */
export function serializeHeader(file: GgufToWrite): {
  header: Uint8Array;
  tensors: PlannedTensor[];
  alignment: number;
} {
  const alignment = alignmentOf(file.metadata);
  const tensors = planTensors(file.tensors, alignment);
  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(file.version ?? 3);
  sink.u64(tensors.length);
  sink.u64(file.metadata.size);
  for (const [key, value] of file.metadata) {
    if (key.length === 0) throw new GgufFormatError('metadata key is empty');
    writeKv(sink, key, value);
  }
  for (const t of tensors) {
    sink.string(t.name);
    sink.u32(t.ne.length);
    for (const n of t.ne) sink.u64(n);
    sink.u32(t.type);
    sink.u64(t.offset);
  }
  sink.bytes(new Uint8Array(pad(sink.length, alignment) - sink.length));
  return { header: sink.result(), tensors, alignment };
}

async function* chunksOf(data: TensorToWrite['data']): AsyncGenerator<Uint8Array> {
  const produced = typeof data === 'function' ? await data() : data;
  if (produced instanceof Uint8Array) yield produced;
  else yield* produced as AsyncIterable<Uint8Array>;
}

export interface WriteProgress {
  readonly tensor: PlannedTensor;
  readonly index: number;
  readonly count: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/**
 * Writes a GGUF file atomically. Tensor sources are consumed one at a time, in order, so peak memory is the
 * largest chunk a source yields. Returns the total file size.
 */
export async function writeGguf(
  path: string,
  file: GgufToWrite,
  onTensorWritten?: (p: WriteProgress) => void,
): Promise<number> {
  const { header, tensors, alignment } = serializeHeader(file);
  const bytesTotal = tensors.reduce((s, t) => s + pad(t.nBytes, alignment), header.byteLength);
  return withAtomicFile(path, async (out) => {
    await out.write(header);
    for (const [index, t] of tensors.entries()) {
      let got = 0;
      for await (const chunk of chunksOf(t.data)) {
        got += chunk.byteLength;
        if (got > t.nBytes) break;
        await out.write(chunk);
      }
      if (got !== t.nBytes) {
        throw new GgufFormatError(`tensor '${t.name}': source gave ${got} bytes, expected ${t.nBytes}`);
      }
      const padding = pad(t.nBytes, alignment) - t.nBytes;
      if (padding > 0) await out.write(new Uint8Array(padding));
      onTensorWritten?.({ tensor: t, index, count: tensors.length, bytesDone: out.written, bytesTotal });
    }
    return out.written;
  });
}
