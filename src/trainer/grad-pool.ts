// Data-parallel training on single-threaded backends (wasm, cpu): a piscina pool of workers, each with its own
// tfjs and model replica (grad-worker.ts). A pass hands each worker one micro-batch; the gradients come back as
// arrays and are summed in worker order, so the result does not depend on which thread finished first.

import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { BackendName } from './backend.ts';
import type { EngineSpec } from './engine.ts';
import { addInto, type GradTask, type GradTaskResult } from './grad-worker.ts';
import type { Batch } from './packing.ts';

/** Workers run grad-worker.ts from source (through tsx's loader) or grad-worker.js from a build. */
function workerOptions(): { filename: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const filename = join(dirname(here), `grad-worker${ext}`);
  if (ext !== '.ts') return { filename, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename, execArgv: ['--import', tsx] };
}

export class GradPool {
  private readonly piscina: Piscina;
  private failure: Error | undefined;

  constructor(
    readonly workers: number,
    private readonly spec: EngineSpec,
    private readonly backend: BackendName,
  ) {
    const { filename, execArgv } = workerOptions();
    this.piscina = new Piscina({ filename, execArgv, minThreads: workers, maxThreads: workers, idleTimeout: 600_000 });
    this.piscina.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  /** Starts every worker's tfjs and model replica now, so the first training step does not pay for it. */
  async warmUp(values: Float32Array[], seqLen: number): Promise<void> {
    const empty: Batch = {
      rows: 0,
      seqLen,
      tokens: new Int32Array(0),
      labels: new Int32Array(0),
      segments: new Int32Array(0),
      lossTokens: 0,
    };
    await Promise.all(
      Array.from({ length: this.workers }, () =>
        this.piscina.run({ spec: this.spec, backend: this.backend, values, batch: empty, microBatch: 1 }),
      ),
    );
  }

  /** Gradients summed over `parts` (one per worker at most), each worker taking micro-batches of `microBatch` rows. */
  async grads(parts: readonly Batch[], values: Float32Array[], microBatch: number): Promise<GradTaskResult> {
    if (this.failure) throw this.failure;
    const tasks: GradTask[] = parts.map((batch) => ({
      spec: this.spec,
      backend: this.backend,
      values,
      batch,
      microBatch,
    }));
    const settled = await Promise.allSettled(tasks.map((t) => this.piscina.run(t) as Promise<GradTaskResult>));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const results = settled.map((s) => (s as PromiseFulfilledResult<GradTaskResult>).value);
    const grads = results[0].grads;
    let lossSum = results[0].lossSum;
    let lossTokens = results[0].lossTokens;
    for (const r of results.slice(1)) {
      r.grads.forEach((g, k) => {
        addInto(grads[k], g);
      });
      lossSum += r.lossSum;
      lossTokens += r.lossTokens;
    }
    return { grads, lossSum, lossTokens };
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
