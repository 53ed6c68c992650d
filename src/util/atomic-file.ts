// Atomic file output: write to a temporary file in the same folder, fsync, then rename over the target.
// An interrupted or failed write never leaves a partial file at the target path.

import { writeSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.ts';

export interface AtomicFile {
  readonly handle: FileHandle;
  /** Bytes written so far through write(). */
  readonly written: number;
  write(bytes: Uint8Array): Promise<void>;
  /** fsync, close and rename into place. */
  commit(): Promise<void>;
  /** Close and delete the temporary file. Safe to call after commit (does nothing). */
  abort(): Promise<void>;
}

export async function openAtomic(path: string): Promise<AtomicFile> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(tmp, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot write '${path}': ${code ?? String(err)} (check that the folder exists and is writable)`,
    );
  }
  let written = 0;
  let done = false;
  return {
    handle,
    get written() {
      return written;
    },
    async write(bytes) {
      // Synchronous writes: measurably faster than libuv round trips for large sequential output.
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(handle.fd, bytes, off, bytes.byteLength - off);
      written += bytes.byteLength;
    },
    async commit() {
      await handle.sync();
      await handle.close();
      await rename(tmp, path);
      done = true;
    },
    async abort() {
      if (done) return;
      done = true;
      await handle.close().catch(() => {});
      await rm(tmp, { force: true });
    },
  };
}

/** Writes `body` to `path` atomically and returns what `body` returned; on any error the target is untouched. */
export async function withAtomicFile<T>(path: string, body: (f: AtomicFile) => Promise<T>): Promise<T> {
  const f = await openAtomic(path);
  try {
    const result = await body(f);
    await f.commit();
    return result;
  } catch (err) {
    await f.abort();
    throw err;
  }
}

/** Writes a whole string or buffer atomically. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await withAtomicFile(path, (f) => f.write(typeof data === 'string' ? Buffer.from(data) : data));
}

/** Writes `value` as pretty JSON (two-space indent, final newline), atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes one JSON value per line (JSONL), atomically. */
export function writeJsonlAtomic(path: string, rows: readonly unknown[]): Promise<void> {
  return writeFileAtomic(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
