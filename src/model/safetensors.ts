// safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
// range, then the raw data. We read single files and sharded checkpoints (model.safetensors.index.json), and
// write files (HF exports, PEFT adapters). Every number in the header is checked against the file before use.

import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MeetaraError } from '../errors.ts';
import { type ByteSource, fdSource } from '../gguf/reader.ts';
import { withAtomicFile } from '../util/atomic-file.ts';

/** A safetensors file or index is malformed or uses something we do not support. */
export class SafetensorsFormatError extends MeetaraError {}

/** Bytes per element of every dtype the format defines; only the float ones can be loaded. */
const DTYPE_SIZE: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};
export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];
export const safetensorsDtypeSize = (d: SafetensorsDtype): number => DTYPE_SIZE[d];

/** Headers above this size are refused (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  /** Row-major (PyTorch) shape. */
  readonly shape: readonly number[];
  readonly nElements: number;
  /** Absolute byte range in the file. */
  readonly start: number;
  readonly nBytes: number;
}

export interface SafetensorsHeader {
  readonly tensors: readonly SafetensorsTensorInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly dataOffset: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates the header of a safetensors byte source. `where` prefixes every error (the file name). */
export function parseSafetensorsHeader(src: ByteSource, where: string): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new SafetensorsFormatError(`${where}: ${msg}`);
  };
  if (src.size < 8) fail(`file is ${src.size} bytes, too short for the 8-byte header length (truncated?)`);
  const lenBytes = new Uint8Array(8);
  src.readInto(lenBytes, 0);
  const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${headerLen} at offset 0 exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt file?)`);
  }
  const n = Number(headerLen);
  if (8 + n > src.size) fail(`header length ${n} at offset 0 runs past the end of the file (${src.size} bytes)`);
  if (n < 2) fail(`header length ${n} at offset 0 is too short for a JSON object`);
  const headerBytes = new Uint8Array(n);
  src.readInto(headerBytes, 8);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`header must be a JSON object starting with '{' at offset 8`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) return fail('header must be a JSON object');

  const dataOffset = 8 + n;
  const dataSize = src.size - dataOffset;
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) fail(`field '__metadata__' must be an object of strings`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`field '__metadata__.${k}' must be a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (!isPlainObject(entry)) return fail(`tensor '${name}' must be an object with dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE))
      fail(`tensor '${name}' field 'dtype' is unknown: ${dtype}`);
    if (!(SAFETENSORS_DTYPES as readonly string[]).includes(dtype as string)) {
      fail(
        `tensor '${name}' field 'dtype' is ${dtype}, which is not supported (supported: ${SAFETENSORS_DTYPES.join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' field 'shape' must be an array of non-negative integers`);
    }
    const valid = (o: unknown) => Number.isSafeInteger(o) && (o as number) >= 0;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(valid)) {
      fail(`tensor '${name}' field 'data_offsets' must be [begin, end] with non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    const nElements = (shape as number[]).reduce((a, b) => a * b, 1);
    const nBytes = nElements * DTYPE_SIZE[dtype as string];
    if (end < begin) fail(`tensor '${name}' field 'data_offsets' [${begin}, ${end}] ends before it begins`);
    if (end - begin !== nBytes) {
      fail(
        `tensor '${name}' field 'data_offsets' [${begin}, ${end}] holds ${end - begin} bytes, but ${dtype} [${shape}] needs ${nBytes}`,
      );
    }
    if (end > dataSize) {
      fail(`tensor '${name}' field 'data_offsets' end ${end} is past the end of the data (${dataSize} bytes)`);
    }
    tensors.push({
      name,
      dtype: dtype as SafetensorsDtype,
      shape: shape as number[],
      nElements,
      start: dataOffset + begin,
      nBytes,
    });
  }
  const byStart = [...tensors].sort((a, b) => a.start - b.start || a.nBytes - b.nBytes);
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1];
    if (prev.start + prev.nBytes > byStart[i].start) {
      fail(`tensor '${byStart[i].name}' field 'data_offsets' overlaps tensor '${prev.name}'`);
    }
  }
  return { tensors, metadata, dataOffset };
}

/** One open safetensors file. Tensor data is read on demand; call close() when done. */
export class SafetensorsFile implements SafetensorsHeader {
  readonly tensors: readonly SafetensorsTensorInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly dataOffset: number;
  private readonly byName: Map<string, SafetensorsTensorInfo>;

  private constructor(
    readonly path: string,
    private fd: number,
    private readonly src: ByteSource,
    header: SafetensorsHeader,
  ) {
    this.tensors = header.tensors;
    this.metadata = header.metadata;
    this.dataOffset = header.dataOffset;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  static open(path: string): SafetensorsFile {
    const fd = openSync(path, 'r');
    try {
      const src = fdSource(fd);
      return new SafetensorsFile(path, fd, src, parseSafetensorsHeader(src, path));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  tensor(name: string): SafetensorsTensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsFormatError(`${this.path}: no tensor named '${name}'`);
    return t;
  }

  readBytes(name: string): Uint8Array {
    const t = this.tensor(name);
    const out = new Uint8Array(t.nBytes);
    this.src.readInto(out, t.start);
    return out;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * A checkpoint folder's weights: `model.safetensors`, or the shards listed by `model.safetensors.index.json`.
 * Tensor names are unique across shards.
 */
export class SafetensorsCheckpoint {
  private readonly owner = new Map<string, SafetensorsFile>();

  private constructor(readonly files: readonly SafetensorsFile[]) {
    for (const f of files) {
      for (const t of f.tensors) {
        const other = this.owner.get(t.name);
        if (other) throw new SafetensorsFormatError(`${f.path}: tensor '${t.name}' also appears in ${other.path}`);
        this.owner.set(t.name, f);
      }
    }
  }

  static open(dir: string): SafetensorsCheckpoint {
    const single = join(dir, 'model.safetensors');
    const index = join(dir, 'model.safetensors.index.json');
    if (existsSync(index)) return SafetensorsCheckpoint.openIndex(index);
    if (existsSync(single)) return new SafetensorsCheckpoint([SafetensorsFile.open(single)]);
    throw new SafetensorsFormatError(`${dir}: no model.safetensors or model.safetensors.index.json found`);
  }

  private static openIndex(indexPath: string): SafetensorsCheckpoint {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(indexPath, 'utf8'));
    } catch (err) {
      throw new SafetensorsFormatError(`${indexPath}: not valid JSON (${(err as Error).message})`);
    }
    const map = isPlainObject(json) ? json.weight_map : undefined;
    if (!isPlainObject(map)) throw new SafetensorsFormatError(`${indexPath}: field 'weight_map' is missing`);
    const shards = [...new Set(Object.values(map))];
    for (const s of shards) {
      if (typeof s !== 'string' || s !== basename(s)) {
        throw new SafetensorsFormatError(`${indexPath}: field 'weight_map' names a bad shard file: ${s}`);
      }
    }
    const files: SafetensorsFile[] = [];
    try {
      for (const s of shards as string[]) files.push(SafetensorsFile.open(join(dirname(indexPath), s)));
      const ckpt = new SafetensorsCheckpoint(files);
      for (const [name, shard] of Object.entries(map)) {
        const f = ckpt.owner.get(name);
        if (!f || basename(f.path) !== shard) {
          throw new SafetensorsFormatError(`${indexPath}: field 'weight_map.${name}' says ${shard}, which lacks it`);
        }
      }
      return ckpt;
    } catch (err) {
      for (const f of files) f.close();
      throw err;
    }
  }

  get names(): string[] {
    return [...this.owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  tensor(name: string): SafetensorsTensorInfo & { readonly path: string } {
    const f = this.owner.get(name);
    if (!f) throw new SafetensorsFormatError(`checkpoint has no tensor named '${name}'`);
    return { ...f.tensor(name), path: f.path };
  }

  readBytes(name: string): Uint8Array {
    const f = this.owner.get(name);
    if (!f) throw new SafetensorsFormatError(`checkpoint has no tensor named '${name}'`);
    return f.readBytes(name);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}

export interface SafetensorsToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Raw little-endian bytes of exactly shape·dtype size (a Float32Array is taken as F32 bytes). */
  readonly data: Uint8Array | Float32Array | (() => Uint8Array | Float32Array);
}

const asBytes = (d: Uint8Array | Float32Array) =>
  d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

export interface SafetensorsLayout {
  /** The JSON header, space-padded so the data starts on an 8-byte boundary. */
  readonly header: Uint8Array;
  /** Each tensor's [begin, end) within the data section, in the given order. */
  readonly ranges: readonly (readonly [number, number])[];
  /** The whole file: 8-byte length, header, data. */
  readonly fileSize: number;
}

/** Lays out a safetensors file (header and byte ranges) without any tensor data; writeSafetensors writes it. */
export function planSafetensors(
  path: string,
  tensors: readonly Pick<SafetensorsToWrite, 'name' | 'dtype' | 'shape'>[],
  metadata?: Record<string, string>,
): SafetensorsLayout {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const ranges: [number, number][] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) {
      throw new SafetensorsFormatError(`${path}: duplicate or reserved tensor name '${t.name}'`);
    }
    const nBytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[t.dtype];
    ranges.push([offset, offset + nBytes]);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + nBytes] };
    offset += nBytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  return { header: headerBytes, ranges, fileSize: 8 + headerBytes.byteLength + offset };
}

/** Writes a safetensors file atomically; tensors are stored in the given order, the header padded to 8 bytes. */
export async function writeSafetensors(
  path: string,
  tensors: readonly SafetensorsToWrite[],
  metadata?: Record<string, string>,
): Promise<void> {
  const { header: headerBytes, ranges } = planSafetensors(path, tensors, metadata);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  await withAtomicFile(path, async (out) => {
    await out.write(len);
    await out.write(headerBytes);
    for (const [i, t] of tensors.entries()) {
      const bytes = asBytes(typeof t.data === 'function' ? t.data() : t.data);
      const expected = ranges[i];
      if (bytes.byteLength !== expected[1] - expected[0]) {
        throw new SafetensorsFormatError(
          `${path}: tensor '${t.name}' has ${bytes.byteLength} bytes, expected ${expected[1] - expected[0]}`,
        );
      }
      await out.write(bytes);
    }
  });
}
