// Chooses the tfjs backend the forward pass and trainer run on.
//   tensorflow  libtensorflow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (optional dependencies that
//               cannot install without internet access, so they are loaded with a dynamic import in try/catch)
//   wasm        @tensorflow/tfjs-backend-wasm: XNNPACK kernels, single-threaded in Node; the default here
//   cpu         @tensorflow/tfjs-backend-cpu: plain JavaScript kernels, the last resort
// `auto` takes the first of these that loads and passes a smoke test, and says why it passed over the others.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../errors.ts';
import { installWasmKernels } from './wasm-kernels.ts';

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | 'auto';

/** Loads a module by specifier; injectable so tests can simulate packages that are absent. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

/** The packages that provide each backend, in order of preference. */
const PACKAGES: Record<BackendName, readonly string[]> = {
  tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  cpu: ['@tensorflow/tfjs-backend-cpu'],
};

export interface BackendAttempt {
  readonly backend: BackendName;
  readonly package: string;
  /** Why this package could not be used; absent when it was chosen. */
  readonly error?: string;
}

export interface BackendSelection {
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** One line for the user: what was picked and why. */
  readonly reason: string;
  readonly attempts: readonly BackendAttempt[];
}

export interface SelectBackendOptions {
  readonly importer?: ModuleImporter;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/** Where the wasm backend's .wasm binaries live: its own dist folder inside node_modules. */
function wasmBinariesDir(): string {
  const require = createRequire(import.meta.url);
  return `${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`;
}

let wasmPathsSet = false;

/** Imports the package, makes its backend current and checks that a small matMul gives the right answer. */
async function activate(backend: BackendName, pkg: string, importer: ModuleImporter): Promise<void> {
  const mod = (await importer(pkg)) as { setWasmPaths?: (prefix: string) => void };
  if (backend === 'wasm' && !wasmPathsSet && mod.setWasmPaths) {
    mod.setWasmPaths(wasmBinariesDir());
    wasmPathsSet = true;
  }
  if (!tf.findBackendFactory(backend)) {
    // tfjs-node with its own nested copy of tfjs-core registers there, not with ours.
    throw new Error(`${pkg} loaded but registered no '${backend}' backend with this @tensorflow/tfjs-core`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`${pkg}: backend '${backend}' failed to initialise`);
  if (backend === 'wasm') installWasmKernels();
  // The cpu backend greets Node users with a banner recommending tfjs-node; the selection already says why.
  if (backend === 'cpu') (tf.backend() as { firstUse?: boolean }).firstUse = false;
  const got = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync());
  if (got.length !== 4 || got.some((v) => v !== 3)) throw new Error(`${pkg}: smoke-test matMul gave ${got}`);
}

/**
 * Makes the chosen tfjs backend current. `auto` tries tensorflow, then wasm, then cpu; a named backend that cannot
 * load is an InputError that says why and what to use instead.
 */
export async function selectBackend(
  choice: BackendChoice = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (choice !== 'auto' && !(BACKENDS as readonly string[]).includes(choice)) {
    throw new InputError(`--backend '${choice}' is not one of: auto, ${BACKENDS.join(', ')}`);
  }
  const importer = options.importer ?? defaultImporter;
  const candidates: BackendName[] = choice === 'auto' ? [...BACKENDS] : [choice];
  const attempts: BackendAttempt[] = [];
  for (const backend of candidates) {
    for (const pkg of PACKAGES[backend]) {
      try {
        await activate(backend, pkg, importer);
      } catch (err) {
        attempts.push({ backend, package: pkg, error: firstLine(err) });
        continue;
      }
      attempts.push({ backend, package: pkg });
      const passedOver = attempts.filter((a) => a.error).map((a) => `${a.package} unavailable (${a.error})`);
      const reason =
        choice === 'auto'
          ? `backend ${backend} (${pkg}), the best available${passedOver.length ? `: ${passedOver.join('; ')}` : ''}`
          : `backend ${backend} (${pkg}), as requested`;
      return { name: backend, package: pkg, reason, attempts };
    }
  }
  const why = attempts.map((a) => `${a.package}: ${a.error}`).join('; ');
  const hint = choice === 'tensorflow' ? '; install @tensorflow/tfjs-node (or -node-gpu), or use --backend wasm' : '';
  throw new InputError(`--backend ${choice}: no usable tfjs backend (${why})${hint}`);
}

/** The backend currently in use, as one of ours. */
export function currentBackend(): BackendName {
  const name = tf.getBackend();
  if (!(BACKENDS as readonly string[]).includes(name)) throw new Error(`unexpected tfjs backend '${name}'`);
  return name as BackendName;
}
