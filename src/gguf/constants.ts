// GGUF format facts, in one place. Sources: ggml/include/ggml.h, ggml/src/ggml.c (type_traits),
// ggml/src/ggml-common.h (block structs) and include/llama.h of the llama.cpp build node-llama-cpp 3.21.1 pins.
// test/gguf/constants.test.ts checks every row against libggml-base's ggml_blck_size/ggml_type_size.

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_MAX_DIMS = 4;
/** llama.cpp's GGML_MAX_NAME: names must be shorter than this (the C struct keeps a NUL). */
export const GGML_MAX_NAME = 64;

/** Metadata value types (gguf_type). */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Byte size of each fixed-size value type; STRING and ARRAY are variable. */
export const VALUE_TYPE_SIZE: Record<number, number> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** ggml tensor types (enum ggml_type). Removed ids (4, 5, 31-33, 36-38) are absent. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
  Q2_0 = 42,
}

export interface GgmlTypeInfo {
  readonly name: string;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const QK_K = 256;

/** Block size and bytes per block for every ggml type llama.cpp knows. */
export const GGML_TYPES: Readonly<Record<GgmlType, GgmlTypeInfo>> = {
  [GgmlType.F32]: { name: 'F32', blockSize: 1, typeSize: 4 },
  [GgmlType.F16]: { name: 'F16', blockSize: 1, typeSize: 2 },
  [GgmlType.Q4_0]: { name: 'Q4_0', blockSize: 32, typeSize: 2 + 16 },
  [GgmlType.Q4_1]: { name: 'Q4_1', blockSize: 32, typeSize: 4 + 16 },
  [GgmlType.Q5_0]: { name: 'Q5_0', blockSize: 32, typeSize: 2 + 4 + 16 },
  [GgmlType.Q5_1]: { name: 'Q5_1', blockSize: 32, typeSize: 4 + 4 + 16 },
  [GgmlType.Q8_0]: { name: 'Q8_0', blockSize: 32, typeSize: 2 + 32 },
  [GgmlType.Q8_1]: { name: 'Q8_1', blockSize: 32, typeSize: 4 + 32 },
  [GgmlType.Q2_K]: { name: 'Q2_K', blockSize: QK_K, typeSize: 16 + 64 + 4 },
  [GgmlType.Q3_K]: { name: 'Q3_K', blockSize: QK_K, typeSize: 32 + 64 + 12 + 2 },
  [GgmlType.Q4_K]: { name: 'Q4_K', blockSize: QK_K, typeSize: 4 + 12 + 128 },
  [GgmlType.Q5_K]: { name: 'Q5_K', blockSize: QK_K, typeSize: 4 + 12 + 32 + 128 },
  [GgmlType.Q6_K]: { name: 'Q6_K', blockSize: QK_K, typeSize: 128 + 64 + 16 + 2 },
  [GgmlType.Q8_K]: { name: 'Q8_K', blockSize: QK_K, typeSize: 4 + 256 + 32 },
  [GgmlType.IQ2_XXS]: { name: 'IQ2_XXS', blockSize: QK_K, typeSize: 2 + 64 },
  [GgmlType.IQ2_XS]: { name: 'IQ2_XS', blockSize: QK_K, typeSize: 2 + 64 + 8 },
  [GgmlType.IQ3_XXS]: { name: 'IQ3_XXS', blockSize: QK_K, typeSize: 2 + 96 },
  [GgmlType.IQ1_S]: { name: 'IQ1_S', blockSize: QK_K, typeSize: 2 + 32 + 16 },
  [GgmlType.IQ4_NL]: { name: 'IQ4_NL', blockSize: 32, typeSize: 2 + 16 },
  [GgmlType.IQ3_S]: { name: 'IQ3_S', blockSize: QK_K, typeSize: 2 + 64 + 8 + 32 + 4 },
  [GgmlType.IQ2_S]: { name: 'IQ2_S', blockSize: QK_K, typeSize: 2 + 64 + 8 + 8 },
  [GgmlType.IQ4_XS]: { name: 'IQ4_XS', blockSize: QK_K, typeSize: 2 + 2 + 4 + 128 },
  [GgmlType.I8]: { name: 'I8', blockSize: 1, typeSize: 1 },
  [GgmlType.I16]: { name: 'I16', blockSize: 1, typeSize: 2 },
  [GgmlType.I32]: { name: 'I32', blockSize: 1, typeSize: 4 },
  [GgmlType.I64]: { name: 'I64', blockSize: 1, typeSize: 8 },
  [GgmlType.F64]: { name: 'F64', blockSize: 1, typeSize: 8 },
  [GgmlType.IQ1_M]: { name: 'IQ1_M', blockSize: QK_K, typeSize: 32 + 16 + 8 },
  [GgmlType.BF16]: { name: 'BF16', blockSize: 1, typeSize: 2 },
  [GgmlType.TQ1_0]: { name: 'TQ1_0', blockSize: QK_K, typeSize: 48 + 4 + 2 },
  [GgmlType.TQ2_0]: { name: 'TQ2_0', blockSize: QK_K, typeSize: 64 + 2 },
  [GgmlType.MXFP4]: { name: 'MXFP4', blockSize: 32, typeSize: 1 + 16 },
  [GgmlType.NVFP4]: { name: 'NVFP4', blockSize: 64, typeSize: 4 + 32 },
  [GgmlType.Q1_0]: { name: 'Q1_0', blockSize: 128, typeSize: 2 + 16 },
  [GgmlType.Q2_0]: { name: 'Q2_0', blockSize: 64, typeSize: 2 + 16 },
};

export function ggmlTypeInfo(type: number): GgmlTypeInfo | undefined {
  return (GGML_TYPES as Record<number, GgmlTypeInfo>)[type];
}

export function ggmlTypeByName(name: string): GgmlType | undefined {
  const upper = name.toUpperCase();
  for (const [id, info] of Object.entries(GGML_TYPES)) if (info.name === upper) return Number(id) as GgmlType;
  return undefined;
}

/** Bytes taken by `nElements` of `type` (nElements must be a multiple of the block size). */
export function tensorBytes(type: GgmlType, nElements: number): number {
  const info = GGML_TYPES[type];
  return (nElements / info.blockSize) * info.typeSize;
}

/** llama.cpp file types (enum llama_ftype), as written to `general.file_type`. */
export enum LlamaFileType {
  ALL_F32 = 0,
  MOSTLY_F16 = 1,
  MOSTLY_Q4_0 = 2,
  MOSTLY_Q4_1 = 3,
  MOSTLY_Q8_0 = 7,
  MOSTLY_Q5_0 = 8,
  MOSTLY_Q5_1 = 9,
  MOSTLY_Q2_K = 10,
  MOSTLY_Q3_K_S = 11,
  MOSTLY_Q3_K_M = 12,
  MOSTLY_Q3_K_L = 13,
  MOSTLY_Q4_K_S = 14,
  MOSTLY_Q4_K_M = 15,
  MOSTLY_Q5_K_S = 16,
  MOSTLY_Q5_K_M = 17,
  MOSTLY_Q6_K = 18,
  MOSTLY_IQ2_XXS = 19,
  MOSTLY_IQ2_XS = 20,
  MOSTLY_Q2_K_S = 21,
  MOSTLY_IQ3_XS = 22,
  MOSTLY_IQ3_XXS = 23,
  MOSTLY_IQ1_S = 24,
  MOSTLY_IQ4_NL = 25,
  MOSTLY_IQ3_S = 26,
  MOSTLY_IQ3_M = 27,
  MOSTLY_IQ2_S = 28,
  MOSTLY_IQ2_M = 29,
  MOSTLY_IQ4_XS = 30,
  MOSTLY_IQ1_M = 31,
  MOSTLY_BF16 = 32,
  MOSTLY_TQ1_0 = 36,
  MOSTLY_TQ2_0 = 37,
  MOSTLY_MXFP4_MOE = 38,
  MOSTLY_NVFP4 = 39,
  MOSTLY_Q1_0 = 40,
  MOSTLY_Q2_0 = 41,
}

/** Human name of a file type as llama.cpp prints it (F32, Q4_K_M, ...). */
export function fileTypeName(ftype: number): string {
  const key = LlamaFileType[ftype];
  if (key === undefined) return `unknown(${ftype})`;
  return key.replace(/^MOSTLY_|^ALL_/, '');
}

/** Token types in `tokenizer.ggml.token_type` (llama_token_attr's GGUF coding). */
export enum TokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}
