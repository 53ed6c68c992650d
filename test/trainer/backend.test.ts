// Backend selection: auto picks the best backend that loads, says why, and falls back when the native tfjs
// packages are absent (as they are on machines without internet access). The importer is injected to simulate
// a package being absent or present; wasm and cpu are the real packages.

import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { type ModuleImporter, selectBackend } from '../../src/trainer/backend.ts';

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const real: ModuleImporter = (specifier) => import(specifier);

/** Behaves like an install where the given packages are missing. */
const without =
  (...missing: string[]): ModuleImporter =>
  (specifier) =>
    missing.includes(specifier)
      ? Promise.reject(new Error(`Cannot find package '${specifier}' imported from backend.ts`))
      : real(specifier);

const isInstalled = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

afterEach(async () => {
  if (tf.findBackend('tensorflow') && !isInstalled('@tensorflow/tfjs-node')) tf.removeBackend('tensorflow');
});

describe('selectBackend', () => {
  it('auto falls back to wasm when tfjs-node-gpu and tfjs-node are absent, and says so', async () => {
    const s = await selectBackend('auto', { importer: without(...NATIVE) });
    expect(s.name).toBe('wasm');
    expect(s.package).toBe('@tensorflow/tfjs-backend-wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(s.attempts.map((a) => [a.package, a.error === undefined])).toEqual([
      ['@tensorflow/tfjs-node-gpu', false],
      ['@tensorflow/tfjs-node', false],
      ['@tensorflow/tfjs-backend-wasm', true],
    ]);
    expect(s.reason).toMatch(/^backend wasm .*best available.*tfjs-node-gpu unavailable.*tfjs-node unavailable/);
  });

  it('auto with the real importer picks tensorflow only if tfjs-node is installed, else wasm', async () => {
    const s = await selectBackend('auto');
    const native = NATIVE.some(isInstalled);
    expect(s.name).toBe(native ? 'tensorflow' : 'wasm');
  });

  it('auto falls back to cpu when wasm cannot load either', async () => {
    const s = await selectBackend('auto', { importer: without(...NATIVE, '@tensorflow/tfjs-backend-wasm') });
    expect(s.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(s.attempts.filter((a) => a.error)).toHaveLength(3);
  });

  it('auto prefers tensorflow when its package loads and registers a working backend', async () => {
    // Stand-in for tfjs-node (which cannot be installed here): registers the cpu kernels under 'tensorflow'.
    const fakeNode: ModuleImporter = async (specifier) => {
      if (specifier === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object');
      if (specifier !== '@tensorflow/tfjs-node') return real(specifier);
      const { MathBackendCPU } = await import('@tensorflow/tfjs-backend-cpu');
      for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
      tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { firstUse: false }));
      return {};
    };
    const s = await selectBackend('auto', { importer: fakeNode });
    expect([s.name, s.package]).toEqual(['tensorflow', '@tensorflow/tfjs-node']);
    expect(s.reason).toMatch(/tfjs-node-gpu unavailable \(libcudart/);
    for (const k of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow');
  });

  it('a native package that loads but registers no backend with our tfjs-core is passed over', async () => {
    const s = await selectBackend('auto', { importer: async (p) => (NATIVE.includes(p) ? {} : real(p)) });
    expect(s.name).toBe('wasm');
    expect(s.attempts[1].error).toMatch(/registered no 'tensorflow' backend/);
  });

  it('--backend tensorflow without the packages is a one-line InputError that names them and the way out', async () => {
    const err = await selectBackend('tensorflow', { importer: without(...NATIVE) }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/tfjs-node-gpu.*tfjs-node.*use --backend wasm/);
  });

  it('explicit wasm and cpu are honoured, and an unknown name is refused', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect((await selectBackend('wasm')).name).toBe('wasm');
    await expect(selectBackend('webgl' as never)).rejects.toThrow(/--backend 'webgl' is not one of/);
  });
});
