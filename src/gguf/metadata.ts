// Typed GGUF metadata. Every value keeps its exact GGUF type, because llama.cpp checks types exactly
// (a u32 key stored as i32 aborts the load). 64-bit integers are bigint so they round-trip losslessly.

import { GgufFormatError } from '../errors.ts';
import { GgufValueType } from './constants.ts';

export type GgufScalar = number | bigint | boolean | string;
export type GgufNumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array;

export type GgufKv =
  | { readonly type: Exclude<GgufValueType, GgufValueType.ARRAY>; readonly value: GgufScalar }
  | {
      readonly type: GgufValueType.ARRAY;
      readonly itemType: Exclude<GgufValueType, GgufValueType.ARRAY>;
      readonly value: GgufNumericArray | readonly string[] | readonly boolean[];
    };

/** Metadata in file order (a Map keeps insertion order, which the writer preserves). */
export type GgufMetadata = Map<string, GgufKv>;

/** Builders for typed values: `kv.u32(4096)`, `kv.str('llama')`, `kv.strings([...])`. */
export const kv = {
  u8: (v: number): GgufKv => ({ type: GgufValueType.UINT8, value: v }),
  i8: (v: number): GgufKv => ({ type: GgufValueType.INT8, value: v }),
  u16: (v: number): GgufKv => ({ type: GgufValueType.UINT16, value: v }),
  i16: (v: number): GgufKv => ({ type: GgufValueType.INT16, value: v }),
  u32: (v: number): GgufKv => ({ type: GgufValueType.UINT32, value: v }),
  i32: (v: number): GgufKv => ({ type: GgufValueType.INT32, value: v }),
  f32: (v: number): GgufKv => ({ type: GgufValueType.FLOAT32, value: v }),
  f64: (v: number): GgufKv => ({ type: GgufValueType.FLOAT64, value: v }),
  u64: (v: bigint | number): GgufKv => ({ type: GgufValueType.UINT64, value: BigInt(v) }),
  i64: (v: bigint | number): GgufKv => ({ type: GgufValueType.INT64, value: BigInt(v) }),
  bool: (v: boolean): GgufKv => ({ type: GgufValueType.BOOL, value: v }),
  str: (v: string): GgufKv => ({ type: GgufValueType.STRING, value: v }),
  strings: (v: readonly string[]): GgufKv => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.STRING,
    value: v,
  }),
  f32s: (v: ArrayLike<number>): GgufKv => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.FLOAT32,
    value: Float32Array.from(v),
  }),
  i32s: (v: ArrayLike<number>): GgufKv => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.INT32,
    value: Int32Array.from(v),
  }),
  u32s: (v: ArrayLike<number>): GgufKv => ({
    type: GgufValueType.ARRAY,
    itemType: GgufValueType.UINT32,
    value: Uint32Array.from(v),
  }),
};

function describe(kvp: GgufKv | undefined): string {
  if (!kvp) return 'missing';
  if (kvp.type === GgufValueType.ARRAY) return `array of ${GgufValueType[kvp.itemType]}`;
  return GgufValueType[kvp.type];
}

function expectType(md: GgufMetadata, key: string, types: GgufValueType[]): GgufKv {
  const v = md.get(key);
  if (!v || !types.includes(v.type)) {
    throw new GgufFormatError(
      `metadata key '${key}' must be ${types.map((t) => GgufValueType[t]).join(' or ')}, but is ${describe(v)}`,
    );
  }
  return v;
}

const INTEGER_TYPES = [
  GgufValueType.UINT8,
  GgufValueType.INT8,
  GgufValueType.UINT16,
  GgufValueType.INT16,
  GgufValueType.UINT32,
  GgufValueType.INT32,
  GgufValueType.UINT64,
  GgufValueType.INT64,
];

/** Reads an integer key of any integer type as a JS number (throws if it is not a safe integer). */
export function getInt(md: GgufMetadata, key: string): number {
  const v = expectType(md, key, INTEGER_TYPES).value as number | bigint;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new GgufFormatError(`metadata key '${key}' = ${v} is out of range`);
  return n;
}

export function getFloat(md: GgufMetadata, key: string): number {
  return expectType(md, key, [GgufValueType.FLOAT32, GgufValueType.FLOAT64]).value as number;
}

export function getString(md: GgufMetadata, key: string): string {
  return expectType(md, key, [GgufValueType.STRING]).value as string;
}

export function getBool(md: GgufMetadata, key: string): boolean {
  return expectType(md, key, [GgufValueType.BOOL]).value as boolean;
}

export function getArray(md: GgufMetadata, key: string): GgufNumericArray | readonly string[] | readonly boolean[] {
  return expectType(md, key, [GgufValueType.ARRAY]).value as GgufNumericArray | readonly string[];
}

/** A JSON-safe view of a value: u64/i64 become numbers when safe, otherwise decimal strings. */
export function toJsonValue(kvp: GgufKv): unknown {
  const conv = (x: unknown): unknown => {
    if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
    return x;
  };
  if (kvp.type === GgufValueType.ARRAY) return Array.from(kvp.value as ArrayLike<unknown>, conv);
  return conv(kvp.value);
}
