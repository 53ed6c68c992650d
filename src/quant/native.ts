// The optional native quantize kernels (native/meetara_quant.c, an N-API addon that `npm ci` builds when it can).
// They are a C port of the TypeScript block quantizers with the same float32 operation order, so both write the
// same bytes; C simply does float32 arithmetic natively where JavaScript needs Math.fround after every step.
// When the addon is missing or fails to load, or MEETARA_NO_NATIVE=1 is set, everything runs in TypeScript.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { GgmlType } from '../gguf/constants.ts';

export interface NativeKernels {
  /** The ggml types the addon quantizes. */
  readonly types: ReadonlySet<GgmlType>;
  /** f32 values (whole blocks) -> the type's bytes; y must be exactly that size. */
  readonly quantize: (type: GgmlType, x: Float32Array, y: Uint8Array) => void;
}

interface Addon {
  types: number[];
  quantize(type: number, x: Float32Array, y: Uint8Array): void;
}

/** Where node-gyp puts the addon: native/build/Release, two folders up from src/quant/ (or dist/quant/). */
export const NATIVE_ADDON_PATH = fileURLToPath(
  new URL('../../native/build/Release/meetara_quant.node', import.meta.url),
);

function load(): NativeKernels | undefined {
  if (process.env.MEETARA_NO_NATIVE === '1' || !existsSync(NATIVE_ADDON_PATH)) return undefined;
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Addon;
    return { types: new Set(addon.types as GgmlType[]), quantize: addon.quantize };
  } catch {
    return undefined; // built for another Node ABI or platform: the TypeScript kernels do the same work
  }
}

/** The loaded kernels, or undefined when quantization runs in TypeScript. */
export const nativeKernels: NativeKernels | undefined = load();
