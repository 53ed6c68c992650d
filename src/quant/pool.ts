// The worker pool quantization and hashing share: piscina, one worker per core by default. Worker errors that
// are not tied to a task (a crash while idle) are kept and rethrown on the next call instead of killing the process.

import { availableParallelism } from 'node:os';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InputError } from '../errors.ts';
import type { ConvertResult, ConvertTask, HashTask } from './worker.ts';

/** Workers run worker.js from a build, or worker.ts from source through an ESM entry that loads tsx. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), extname(here) === '.ts' ? 'worker-entry.mjs' : 'worker.js');
}

export class QuantPool {
  readonly threads: number;
  private readonly piscina: Piscina;
  private failure: Error | undefined;

  constructor(threads: number = availableParallelism()) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new InputError(`--threads must be a positive integer, got ${threads}`);
    this.threads = threads;
    this.piscina = new Piscina({
      filename: workerFile(),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
    this.piscina.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  private run<R>(task: ConvertTask | HashTask): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    return this.piscina.run(task);
  }

  convert(task: Omit<ConvertTask, 'kind'>): Promise<ConvertResult> {
    return this.run({ kind: 'convert', ...task });
  }

  hash(task: Omit<HashTask, 'kind'>): Promise<string> {
    return this.run({ kind: 'hash', ...task });
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
