// GGUF read and write throughput on a 256+ MiB model, next to plain fs reads and writes of the same bytes.
//   npx tsx bench/gguf.bench.ts

import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufFile } from '../src/gguf/reader.ts';
import { writeGguf } from '../src/gguf/writer.ts';
import { initModel } from '../src/model/init-model.ts';
import { measure, printTable } from './harness.ts';

const CHUNK = 16 << 20;

function fsRead(path: string): number {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(CHUNK);
  let total = 0;
  for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) total += n;
  closeSync(fd);
  return total;
}

/** Read + write + fsync: the same durability work writeGguf does. */
function fsCopy(src: string, dst: string): void {
  const inFd = openSync(src, 'r');
  const outFd = openSync(dst, 'w');
  const buf = new Uint8Array(CHUNK);
  for (let n = readSync(inFd, buf); n > 0; n = readSync(inFd, buf)) writeSync(outFd, buf, 0, n);
  fsyncSync(outFd);
  closeSync(inFd);
  closeSync(outFd);
}

function ggufRead(path: string): number {
  using f = GgufFile.open(path);
  let total = 0;
  for (const t of f.tensors) for (const chunk of f.streamTensorBytes(t.name, CHUNK, true)) total += chunk.byteLength;
  return total;
}

async function ggufCopy(src: string, dst: string): Promise<void> {
  using f = GgufFile.open(src);
  await writeGguf(dst, {
    metadata: f.metadata,
    tensors: f.tensors.map((t) => ({ ...t, data: () => f.streamTensorBytes(t.name, CHUNK, true) })),
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'meetara-bench-gguf-'));
  try {
    const model = join(dir, 'model.gguf');
    // 32000 x 1024 embeddings and output plus 6 layers: 515 MB of F32.
    await initModel(model, {
      arch: 'llama',
      vocabSize: 32000,
      dim: 1024,
      layers: 6,
      heads: 16,
      ffn: 2048,
      contextLength: 2048,
    });
    const size = statSync(model).size;
    const MB = size / 1e6;
    const results = await measure({
      'fs read (16 MiB chunks)': () => fsRead(model),
      'GgufFile read (parse + every tensor)': () => ggufRead(model),
      'fs copy (read + write + fsync)': () => fsCopy(model, join(dir, 'copy-fs.gguf')),
      'writeGguf copy (read + write, atomic, fsync)': () => ggufCopy(model, join(dir, 'copy-gguf.gguf')),
    });
    const [readPeer, , copyPeer] = results;
    const rate = (ms: number) => (MB / (ms / 1000)).toFixed(0);
    printTable(
      `GGUF throughput on a ${MB.toFixed(0)} MB model (mean of ${results[0].samples} runs, page cache warm)`,
      ['operation', 'ms', 'MB/s', 'speed vs fs (fs time / ours)'],
      results.map((r) => {
        const peer = r.name.includes('read') && !r.name.includes('write') ? readPeer : copyPeer;
        return [r.name, r.meanMs.toFixed(0), rate(r.meanMs), (peer.meanMs / r.meanMs).toFixed(2)];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
