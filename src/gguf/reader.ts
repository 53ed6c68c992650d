// GGUF reader: parses the header, metadata and tensor infos without touching tensor data, then hands out tensor
// bytes on demand as byte ranges read from the file descriptor, so files larger than RAM work.
// Every length read from the file is checked against the bytes that remain before anything is allocated.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GgufFormatError } from '../errors.ts';
import {
  GGML_MAX_NAME,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_MAX_DIMS,
  type GgmlType,
  GgufValueType,
  ggmlTypeInfo,
  tensorBytes,
  VALUE_TYPE_SIZE,
} from './constants.ts';
import type { GgufKv, GgufMetadata, GgufNumericArray } from './metadata.ts';

export interface GgufTensorInfo {
  readonly name: string;
  /** Shape in ggml order: ne[0] is the contiguous row length (the PyTorch shape reversed). */
  readonly ne: readonly number[];
  readonly type: GgmlType;
  /** Offset relative to the start of the data section. */
  readonly offset: number;
  readonly nElements: number;
  readonly nBytes: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly alignment: number;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorInfo[];
  /** Absolute file offset where the data section begins. */
  readonly dataOffset: number;
  readonly fileSize: number;
}

/** Random-access bytes: a file descriptor or an in-memory buffer. */
export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `position` into `into` (caller has checked bounds). */
  readInto(into: Uint8Array, position: number): void;
}

export function bufferSource(buf: Uint8Array): ByteSource {
  return { size: buf.byteLength, readInto: (into, pos) => into.set(buf.subarray(pos, pos + into.byteLength)) };
}

export function fdSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  return {
    size,
    readInto(into, position) {
      let done = 0;
      while (done < into.byteLength) {
        const n = readSync(fd, into, done, into.byteLength - done, position + done);
        if (n === 0) throw new GgufFormatError(`unexpected end of file at offset ${position + done}`);
        done += n;
      }
    },
  };
}

const CHUNK = 1 << 20;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Sequential little-endian reads over a ByteSource, through a 1 MiB window. */
class Cursor {
  pos = 0;
  private win = new Uint8Array(0);
  private winStart = 0;
  private view = new DataView(this.win.buffer);

  constructor(private readonly src: ByteSource) {}

  get remaining(): number {
    return this.src.size - this.pos;
  }

  /** Returns a view of the next n bytes (valid until the next call). */
  take(n: number, what: string): Uint8Array {
    if (n > this.remaining) {
      throw new GgufFormatError(
        `${what} at offset ${this.pos} needs ${n} bytes but only ${this.remaining} remain (file truncated?)`,
      );
    }
    const rel = this.pos - this.winStart;
    if (rel < 0 || rel + n > this.win.byteLength) {
      const len = Math.min(Math.max(n, CHUNK), this.src.size - this.pos);
      this.win = new Uint8Array(len);
      this.src.readInto(this.win, this.pos);
      this.winStart = this.pos;
      this.view = new DataView(this.win.buffer);
    }
    const start = this.pos - this.winStart;
    this.pos += n;
    return this.win.subarray(start, start + n);
  }

  private dv(n: number, what: string): [DataView, number] {
    this.take(n, what);
    return [this.view, this.pos - n - this.winStart];
  }
  u8(what: string) {
    const [v, o] = this.dv(1, what);
    return v.getUint8(o);
  }
  u32(what: string) {
    const [v, o] = this.dv(4, what);
    return v.getUint32(o, true);
  }
  u64(what: string): bigint {
    const [v, o] = this.dv(8, what);
    return v.getBigUint64(o, true);
  }
  /** A u64 that must fit a JS number and must not exceed `max` (a bound derived from the file size). */
  u64Bounded(what: string, max: number): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > BigInt(max)) throw new GgufFormatError(`${what} at offset ${at} is ${v}, larger than possible (${max})`);
    return Number(v);
  }
  string(what: string): string {
    const at = this.pos;
    const len = this.u64Bounded(`${what} length`, this.remaining - 8);
    const bytes = this.take(len, what);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new GgufFormatError(`${what} at offset ${at} is not valid UTF-8`);
    }
  }
}

const ARRAY_CTORS: Partial<Record<GgufValueType, new (n: number) => GgufNumericArray>> = {
  [GgufValueType.UINT8]: Uint8Array,
  [GgufValueType.INT8]: Int8Array,
  [GgufValueType.UINT16]: Uint16Array,
  [GgufValueType.INT16]: Int16Array,
  [GgufValueType.UINT32]: Uint32Array,
  [GgufValueType.INT32]: Int32Array,
  [GgufValueType.FLOAT32]: Float32Array,
  [GgufValueType.FLOAT64]: Float64Array,
  [GgufValueType.UINT64]: BigUint64Array,
  [GgufValueType.INT64]: BigInt64Array,
};

function readScalar(c: Cursor, type: GgufValueType, what: string): number | bigint | boolean | string {
  if (type === GgufValueType.STRING) return c.string(what);
  const size = VALUE_TYPE_SIZE[type];
  const b = c.take(size, what);
  const v = new DataView(b.buffer, b.byteOffset, size);
  switch (type) {
    case GgufValueType.UINT8:
      return v.getUint8(0);
    case GgufValueType.INT8:
      return v.getInt8(0);
    case GgufValueType.UINT16:
      return v.getUint16(0, true);
    case GgufValueType.INT16:
      return v.getInt16(0, true);
    case GgufValueType.UINT32:
      return v.getUint32(0, true);
    case GgufValueType.INT32:
      return v.getInt32(0, true);
    case GgufValueType.FLOAT32:
      return v.getFloat32(0, true);
    case GgufValueType.FLOAT64:
      return v.getFloat64(0, true);
    case GgufValueType.UINT64:
      return v.getBigUint64(0, true);
    case GgufValueType.INT64:
      return v.getBigInt64(0, true);
    case GgufValueType.BOOL:
      return v.getUint8(0) !== 0;
    default:
      throw new GgufFormatError(`${what}: unknown value type ${type}`);
  }
}

function readValueType(c: Cursor, what: string, allowArray: boolean): GgufValueType {
  const at = c.pos;
  const t = c.u32(what);
  const known = t in VALUE_TYPE_SIZE || t === GgufValueType.STRING || (allowArray && t === GgufValueType.ARRAY);
  if (!known) {
    const extra = t === GgufValueType.ARRAY ? ' (nested arrays are not allowed)' : '';
    throw new GgufFormatError(`${what} at offset ${at} has unknown value type ${t}${extra}`);
  }
  return t;
}

function readKv(c: Cursor, key: string): GgufKv {
  const what = `value of '${key}'`;
  const type = readValueType(c, `type of '${key}'`, true);
  if (type !== GgufValueType.ARRAY) return { type, value: readScalar(c, type, what) } as GgufKv;

  const itemType = readValueType(c, `array item type of '${key}'`, false) as Exclude<
    GgufValueType,
    GgufValueType.ARRAY
  >;
  // Each item takes at least its fixed size (strings at least their 8-byte length), so the count is bounded.
  const minItem = itemType === GgufValueType.STRING ? 8 : VALUE_TYPE_SIZE[itemType];
  const n = c.u64Bounded(`array length of '${key}'`, Math.floor((c.remaining - 8) / minItem));
  const Ctor = ARRAY_CTORS[itemType];
  if (Ctor) {
    const size = VALUE_TYPE_SIZE[itemType];
    const bytes = c.take(n * size, what);
    const out = new Ctor(n);
    new Uint8Array(out.buffer).set(bytes); // little-endian host assumed (x86, ARM)
    return { type, itemType, value: out };
  }
  const items: (string | boolean)[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = readScalar(c, itemType, `${what}[${i}]`) as string | boolean;
  return { type, itemType, value: items } as GgufKv;
}

/** Parses header, metadata and tensor infos from any byte source. Throws GgufFormatError on malformed input. */
export function parseGgufHeader(src: ByteSource): GgufHeader {
  const c = new Cursor(src);
  const magic = c.u32('magic');
  if (magic !== GGUF_MAGIC) {
    throw new GgufFormatError(`not a GGUF file: magic at offset 0 is 0x${magic.toString(16).padStart(8, '0')}`);
  }
  const version = c.u32('version');
  if ((version & 0xffff) === 0 && version !== 0) {
    throw new GgufFormatError(
      `big-endian GGUF files are not supported (version field reads 0x${version.toString(16)}); convert it on a little-endian machine`,
    );
  }
  if (version !== 2 && version !== 3) {
    throw new GgufFormatError(`unsupported GGUF version ${version} at offset 4 (supported: 2, 3)`);
  }
  // A tensor info takes at least 8+4+4+8 bytes and a KV at least 8+1+4 bytes.
  const nTensors = c.u64Bounded('tensor count', Math.floor(c.remaining / 24));
  const nKv = c.u64Bounded('metadata count', Math.floor(c.remaining / 13));

  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < nKv; i++) {
    const at = c.pos;
    const key = c.string(`metadata key #${i}`);
    if (key.length === 0) throw new GgufFormatError(`metadata key #${i} at offset ${at} is empty`);
    if (metadata.has(key)) throw new GgufFormatError(`duplicate metadata key '${key}' at offset ${at}`);
    metadata.set(key, readKv(c, key));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignKv = metadata.get('general.alignment');
  if (alignKv) {
    if (alignKv.type !== GgufValueType.UINT32) {
      throw new GgufFormatError(`general.alignment must be UINT32, but is ${GgufValueType[alignKv.type]}`);
    }
    alignment = alignKv.value as number;
    if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
      throw new GgufFormatError(`general.alignment ${alignment} is not a power of 2`);
    }
  }

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  const rawOffsets: bigint[] = [];
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    const name = c.string(`tensor name #${i}`);
    if (Buffer.byteLength(name) >= GGML_MAX_NAME) {
      throw new GgufFormatError(
        `tensor name '${name}' at offset ${at} is too long (${name.length} >= ${GGML_MAX_NAME})`,
      );
    }
    if (names.has(name)) throw new GgufFormatError(`duplicate tensor name '${name}' at offset ${at}`);
    names.add(name);
    const nDims = c.u32(`n_dims of tensor '${name}'`);
    if (nDims > GGUF_MAX_DIMS) {
      throw new GgufFormatError(`tensor '${name}' has ${nDims} dimensions (at most ${GGUF_MAX_DIMS} allowed)`);
    }
    const ne: number[] = [];
    let nElements = 1;
    for (let d = 0; d < nDims; d++) {
      const n = c.u64Bounded(`ne[${d}] of tensor '${name}'`, Number.MAX_SAFE_INTEGER);
      ne.push(n);
      nElements *= n;
    }
    const typeAt = c.pos;
    const type = c.u32(`type of tensor '${name}'`);
    const info = ggmlTypeInfo(type);
    if (!info) throw new GgufFormatError(`tensor '${name}' has unknown ggml type ${type} at offset ${typeAt}`);
    const ne0 = ne[0] ?? 1;
    if (ne0 % info.blockSize !== 0) {
      throw new GgufFormatError(
        `tensor '${name}' of type ${info.name} has row length ne[0]=${ne0}, not a multiple of its block size ${info.blockSize}`,
      );
    }
    const nBytes = tensorBytes(type as GgmlType, nElements);
    if (!Number.isSafeInteger(nBytes) || nBytes > src.size) {
      throw new GgufFormatError(
        `tensor '${name}' with shape [${ne.join(', ')}] needs ${nBytes} bytes, more than the file holds`,
      );
    }
    rawOffsets.push(c.u64(`offset of tensor '${name}'`));
    tensors.push({ name, ne, type: type as GgmlType, offset: 0, nElements, nBytes });
  }

  const dataOffset = nTensors > 0 ? Math.ceil(c.pos / alignment) * alignment : c.pos;
  const dataSize = src.size - dataOffset;
  const placed = tensors.map((t, i) => {
    const raw = rawOffsets[i];
    if (raw % BigInt(alignment) !== 0n) {
      throw new GgufFormatError(`tensor '${t.name}' offset ${raw} is not a multiple of the alignment ${alignment}`);
    }
    if (raw + BigInt(t.nBytes) > BigInt(dataSize)) {
      throw new GgufFormatError(
        `tensor '${t.name}' offset ${raw} + ${t.nBytes} bytes is past end of file (data section holds ${Math.max(dataSize, 0)})`,
      );
    }
    return { ...t, offset: Number(raw) };
  });
  const byOffset = [...placed].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1];
    const cur = byOffset[i];
    if (prev.offset + prev.nBytes > cur.offset) {
      throw new GgufFormatError(`tensor '${cur.name}' at offset ${cur.offset} overlaps tensor '${prev.name}'`);
    }
  }
  return { version, alignment, metadata, tensors: placed, dataOffset, fileSize: src.size };
}

/** An open GGUF file: parsed header plus on-demand tensor data. Call close() when done. */
export class GgufFile implements GgufHeader {
  readonly version: number;
  readonly alignment: number;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorInfo[];
  readonly dataOffset: number;
  readonly fileSize: number;
  private readonly byName: Map<string, GgufTensorInfo>;

  private constructor(
    readonly path: string,
    private fd: number,
    private readonly src: ByteSource,
    header: GgufHeader,
  ) {
    this.version = header.version;
    this.alignment = header.alignment;
    this.metadata = header.metadata;
    this.tensors = header.tensors;
    this.dataOffset = header.dataOffset;
    this.fileSize = header.fileSize;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  static open(path: string): GgufFile {
    const fd = openSync(path, 'r');
    try {
      const src = fdSource(fd);
      return new GgufFile(path, fd, src, parseGgufHeader(src));
    } catch (err) {
      closeSync(fd);
      if (err instanceof GgufFormatError) throw new GgufFormatError(`bad GGUF ${path}: ${err.message}`);
      throw err;
    }
  }

  tensor(name: string): GgufTensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new GgufFormatError(`${this.path}: no tensor named '${name}'`);
    return t;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Reads `length` bytes of a tensor's data starting at byte `start` within the tensor. */
  readTensorBytes(name: string, start = 0, length?: number): Uint8Array {
    const len = length ?? this.tensor(name).nBytes - start;
    return this.readTensorInto(name, Buffer.allocUnsafe(len), start); // every byte is overwritten by the read
  }

  /** Fills `into` with the tensor's bytes from byte `start` on, without allocating. Returns `into`. */
  readTensorInto(name: string, into: Uint8Array, start = 0): Uint8Array {
    const t = this.tensor(name);
    if (start < 0 || start + into.byteLength > t.nBytes) {
      throw new RangeError(
        `range [${start}, ${start + into.byteLength}) is outside tensor '${name}' (${t.nBytes} bytes)`,
      );
    }
    this.src.readInto(into, this.dataOffset + t.offset + start);
    return into;
  }

  /**
   * Yields a tensor's bytes in chunks of about `chunkBytes`, for tensors too large to hold at once.
   * With `reuse`, every chunk is the same buffer, overwritten on each step: for consumers (like writeGguf) that are
   * done with a chunk before asking for the next.
   */
  *streamTensorBytes(name: string, chunkBytes = 16 << 20, reuse = false): Generator<Uint8Array> {
    const t = this.tensor(name);
    const shared = reuse ? Buffer.allocUnsafe(Math.min(chunkBytes, t.nBytes)) : undefined;
    for (let at = 0; at < t.nBytes; at += chunkBytes) {
      const len = Math.min(chunkBytes, t.nBytes - at);
      yield shared ? this.readTensorInto(name, shared.subarray(0, len), at) : this.readTensorBytes(name, at, len);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Bytes one tensor takes, from its type and shape. */
export function nBytesOf(type: GgmlType, ne: readonly number[]): number {
  return tensorBytes(
    type,
    ne.reduce((a, b) => a * b, 1),
  );
}
