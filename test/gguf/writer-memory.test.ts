// The writer streams: writing a 512 MiB model from a generator must not grow RSS with model size.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GgmlType } from '../../src/gguf/constants.ts';
import { kv } from '../../src/gguf/metadata.ts';
import { writeGguf } from '../../src/gguf/writer.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir();
const MiB = 1 << 20;

describe('GGUF writer memory', () => {
  it('writes 512 MiB with peak RSS growth far below the model size', async () => {
    const chunk = 4 * MiB;
    const tensorBytes = 64 * MiB;
    const count = 8;
    function* generate(seed: number) {
      const buf = new Uint8Array(chunk);
      for (let done = 0; done < tensorBytes; done += chunk) {
        buf.fill((seed + done / chunk) & 0xff);
        yield buf;
      }
    }
    const tensors = Array.from({ length: count }, (_, i) => ({
      name: `blk.${i}.ffn_up.weight`,
      type: GgmlType.F32,
      ne: [4096, tensorBytes / 4 / 4096],
      data: () => generate(i),
    }));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const out = join(dir, 'big.gguf');
    await writeGguf(out, { metadata: new Map([['general.name', kv.str('big')]]), tensors }, () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    });
    const size = statSync(out).size;
    expect(size).toBeGreaterThanOrEqual(512 * MiB);
    const growth = (peak - baseline) / MiB;
    console.log(`wrote ${(size / MiB).toFixed(0)} MiB; peak RSS growth ${growth.toFixed(1)} MiB`);
    expect(growth).toBeLessThan(64);
  });
});
