// llama.cpp as the oracle, reached through koffi on the libraries node-llama-cpp ships: libggml-base for the
// reference block quantizers and libllama for llama_model_quantize. Tests and benchmarks compare against these.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import koffi, { type LibraryHandle } from 'koffi';
import { GgmlType, tensorBytes } from '../../src/gguf/constants.ts';

const require = createRequire(import.meta.url);
// The package's main file is dist/index.js; the libraries sit in bins/linux-x64 beside dist/.
const BIN_DIR = join(dirname(require.resolve('@node-llama-cpp/linux-x64')), '..', 'bins', 'linux-x64');

type NativeFunction = ReturnType<LibraryHandle['func']>;

let ggml: ReturnType<typeof loadGgml> | undefined;
let llama: ReturnType<typeof loadLlama> | undefined;

const REF_NAMES: Partial<Record<GgmlType, string>> = {
  [GgmlType.Q8_0]: 'q8_0',
  [GgmlType.Q4_0]: 'q4_0',
  [GgmlType.Q4_1]: 'q4_1',
  [GgmlType.Q5_0]: 'q5_0',
  [GgmlType.Q5_1]: 'q5_1',
  [GgmlType.Q2_K]: 'q2_K',
  [GgmlType.Q3_K]: 'q3_K',
  [GgmlType.Q4_K]: 'q4_K',
  [GgmlType.Q5_K]: 'q5_K',
  [GgmlType.Q6_K]: 'q6_K',
};

function loadGgml() {
  const lib = koffi.load(join(BIN_DIR, 'libggml-base.so'));
  const quantizeRef: Partial<Record<GgmlType, NativeFunction>> = {};
  const dequantize: Partial<Record<GgmlType, NativeFunction>> = {};
  for (const [type, name] of Object.entries(REF_NAMES)) {
    quantizeRef[Number(type) as GgmlType] = lib.func(
      `void quantize_row_${name}_ref(const float *x, _Out_ uint8_t *y, int64_t k)`,
    );
    dequantize[Number(type) as GgmlType] = lib.func(
      `void dequantize_row_${name}(const uint8_t *x, _Out_ float *y, int64_t k)`,
    );
  }
  return {
    quantizeRef,
    dequantize,
    quantizeChunk: lib.func(
      'size_t ggml_quantize_chunk(int type, const float *src, _Out_ uint8_t *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix)',
    ),
    fp32ToFp16: lib.func('void ggml_fp32_to_fp16_row(const float *x, _Out_ uint16_t *y, int64_t n)'),
    fp16ToFp32: lib.func('void ggml_fp16_to_fp32_row(const uint16_t *x, _Out_ float *y, int64_t n)'),
    fp32ToBf16: lib.func('void ggml_fp32_to_bf16_row_ref(const float *x, _Out_ uint16_t *y, int64_t n)'),
    bf16ToFp32: lib.func('void ggml_bf16_to_fp32_row(const uint16_t *x, _Out_ float *y, int64_t n)'),
    blockSize: lib.func('int64_t ggml_blck_size(int type)'),
    typeSize: lib.func('size_t ggml_type_size(int type)'),
    typeName: lib.func('const char *ggml_type_name(int type)'),
  };
}

const g = () => {
  ggml ??= loadGgml();
  return ggml;
};

/** quantize_row_<type>_ref over all of x. */
export function ggmlQuantizeRowRef(type: GgmlType, x: Float32Array): Uint8Array {
  const y = new Uint8Array(tensorBytes(type, x.length));
  g().quantizeRef[type]!(x, y, x.length);
  return y;
}

/** ggml_quantize_chunk, the entry point llama_model_quantize uses (F16 and BF16 included), with no imatrix. */
export function ggmlQuantizeChunk(type: GgmlType, x: Float32Array, nPerRow: number): Uint8Array {
  const y = new Uint8Array(tensorBytes(type, x.length));
  const written = g().quantizeChunk(type, x, y, 0, x.length / nPerRow, nPerRow, null);
  if (Number(written) !== y.byteLength)
    throw new Error(`ggml_quantize_chunk wrote ${written} bytes, expected ${y.byteLength}`);
  return y;
}

/** dequantize_row_<type>. */
export function ggmlDequantizeRow(type: GgmlType, y: Uint8Array, n: number): Float32Array {
  const x = new Float32Array(n);
  g().dequantize[type]!(y, x, n);
  return x;
}

export function ggmlFp32ToFp16(x: Float32Array): Uint16Array {
  const y = new Uint16Array(x.length);
  g().fp32ToFp16(x, y, x.length);
  return y;
}

export function ggmlFp16ToFp32(h: Uint16Array): Float32Array {
  const y = new Float32Array(h.length);
  g().fp16ToFp32(h, y, h.length);
  return y;
}

export function ggmlFp32ToBf16(x: Float32Array): Uint16Array {
  const y = new Uint16Array(x.length);
  g().fp32ToBf16(x, y, x.length);
  return y;
}

export function ggmlBf16ToFp32(h: Uint16Array): Float32Array {
  const y = new Float32Array(h.length);
  g().bf16ToFp32(h, y, h.length);
  return y;
}

/** ggml's own type table: block size, bytes per block and name of a ggml type id. */
export function ggmlTypeTraits(type: number): { blockSize: number; typeSize: number; name: string | null } {
  return {
    blockSize: Number(g().blockSize(type)),
    typeSize: Number(g().typeSize(type)),
    name: g().typeName(type),
  };
}

function loadLlama() {
  const lib = koffi.load(join(BIN_DIR, 'libllama.v0.4.0.so'));
  koffi.struct('llama_model_quantize_params', {
    nthread: 'int32_t',
    ftype: 'int',
    output_tensor_type: 'int',
    token_embedding_type: 'int',
    allow_requantize: 'bool',
    quantize_output_tensor: 'bool',
    only_copy: 'bool',
    pure: 'bool',
    keep_split: 'bool',
    dry_run: 'bool',
    imatrix: 'void *',
    kv_overrides: 'void *',
    tt_overrides: 'void *',
    prune_layers: 'void *',
    max_buf_size: 'size_t',
  });
  const logCallback = koffi.proto('void ggml_log_callback(int level, const char *text, void *user_data)');
  const logger = koffi.register((_level: number, text: string) => {
    captured?.push(text);
  }, koffi.pointer(logCallback));
  const logGet = lib.func('void llama_log_get(_Out_ void **cb, _Out_ void **user_data)');
  const logSet = lib.func('void llama_log_set(void *cb, void *user_data)');
  lib.func('void llama_backend_init(void)')();
  /** Runs `body` with llama.cpp's log routed to us, then gives the log back (node-llama-cpp sets its own). */
  const withOurLog = <T>(body: () => T): T => {
    const cb = [null];
    const ud = [null];
    logGet(cb, ud);
    logSet(logger, null);
    try {
      return body();
    } finally {
      logSet(cb[0], ud[0]);
    }
  };
  return {
    withOurLog,
    defaults: lib.func('llama_model_quantize_params llama_model_quantize_default_params(void)'),
    quantize: lib.func(
      'uint32_t llama_model_quantize(const char *fname_inp, const char *fname_out, const llama_model_quantize_params *params)',
    ),
  };
}

/** Log text llama.cpp prints while capturing is on (llama.cpp's log is otherwise silenced). */
let captured: string[] | undefined;

export interface LlamaQuantizeOptions {
  readonly threads?: number;
  readonly allowRequantize?: boolean;
}

/** llama.cpp's llama_model_quantize (what `llama-quantize IN OUT TYPE` runs). Returns its status (0 = ok). */
export function llamaModelQuantize(input: string, output: string, ftype: number, o: LlamaQuantizeOptions = {}): number {
  llama ??= loadLlama();
  const params = llama.defaults();
  params.ftype = ftype;
  params.nthread = o.threads ?? 1;
  params.allow_requantize = o.allowRequantize ?? false;
  const { quantize, withOurLog } = llama;
  return withOurLog(() => quantize(input, output, params));
}

/**
 * The ggml type llama.cpp picks for every tensor, from a `--dry-run` of llama_model_quantize (nothing is
 * written). Parsed from its per-tensor log lines: `[ i/ n] name - [shape], type = f32, size = ... (q4_K)`.
 */
export function llamaQuantizePlan(input: string, ftype: number): Map<string, string> {
  llama ??= loadLlama();
  const params = llama.defaults();
  params.ftype = ftype;
  params.nthread = 1;
  params.dry_run = true;
  captured = [];
  let log: string;
  try {
    const { quantize, withOurLog } = llama;
    const status = withOurLog(() => quantize(input, '/dev/null', params));
    log = captured.join('');
    if (status !== 0) throw new Error(`llama_model_quantize dry run failed: ${log.slice(-500)}`);
  } finally {
    captured = undefined;
  }
  const plan = new Map<string, string>();
  const line = /\[\s*\d+\/\s*\d+\]\s+(\S+)\s+- \[[^\]]*\], type =\s+(\S+), size = [^\n]*?(?:\((\w+)\))?\n/g;
  for (const m of log.matchAll(line)) plan.set(m[1], (m[3] ?? m[2]).toUpperCase());
  return plan;
}
