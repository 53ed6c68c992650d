// What makes `meetara compress` idempotent: each output is recorded with a key (the sha256 of what it was made
// from: its inputs' hashes and the settings) and its own sha256. A rerun skips an output whose key is unchanged
// and whose file is still the one recorded; anything else is rebuilt. Every output is built in a staging folder
// inside .meetara/ and renamed into place when complete, and the record is saved after each one, so even a killed
// run leaves no partial file among the outputs (the next run clears the staging folder) and loses none of the
// finished work. Outputs an earlier run recorded that this run no longer makes are removed at the end; files the
// cache never recorded are never touched.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.ts';
import { sha256File } from './package-files.ts';

export const CACHE_FILE = '.meetara/outputs.json';
/** Where outputs are built before they are renamed into place. */
export const STAGING_DIR = '.meetara/staging';

const CacheSchema = z.object({
  schemaVersion: z.literal(1),
  outputs: z.record(z.string(), z.object({ key: z.string(), sha256: z.string(), bytes: z.number() })),
});
type CacheRecord = z.infer<typeof CacheSchema>;

/** The key of an output: a sha256 over a JSON description of everything it depends on. */
export function outputKey(what: unknown): string {
  return createHash('sha256').update(JSON.stringify(what)).digest('hex');
}

export class OutputCache {
  private readonly record: CacheRecord;
  private readonly made = new Set<string>();
  readonly skipped: string[] = [];

  /** `force` rebuilds everything (the record is still kept up to date). */
  constructor(
    readonly root: string,
    private readonly force = false,
  ) {
    const path = join(root, CACHE_FILE);
    let record: CacheRecord = { schemaVersion: 1, outputs: {} };
    if (existsSync(path)) {
      const parsed = CacheSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (parsed.success) record = parsed.data;
    }
    this.record = record;
    // What an interrupted run was building, and its unfinished record writes.
    rmSync(join(root, STAGING_DIR), { recursive: true, force: true });
    const meta = dirname(join(root, CACHE_FILE));
    if (existsSync(meta)) for (const f of readdirSync(meta)) if (f.endsWith('.tmp')) rmSync(join(meta, f));
  }

  /**
   * Makes the output at `rel` (relative to the root) with `build(path)` unless the record says it was made from the
   * same `key` and the file is unchanged. `build` writes to a staging path; the file moves into place when done.
   */
  async produce(rel: string, key: string, build: (path: string) => Promise<void>): Promise<{ built: boolean }> {
    const path = join(this.root, rel);
    this.made.add(rel);
    const was = this.record.outputs[rel];
    if (!this.force && was?.key === key && existsSync(path) && statSync(path).size === was.bytes) {
      if ((await sha256File(path)) === was.sha256) {
        this.skipped.push(rel);
        return { built: false };
      }
    }
    await this.staged(rel, build);
    this.record.outputs[rel] = { key, sha256: await sha256File(path), bytes: statSync(path).size };
    await this.save();
    return { built: true };
  }

  /** Writes a file that is made anew on every run (not cached), through the staging folder like every output. */
  write(rel: string, data: string | Uint8Array): Promise<void> {
    return this.staged(rel, (p) => writeFileAtomic(p, data));
  }

  private async staged(rel: string, build: (path: string) => Promise<void>): Promise<void> {
    const staging = join(this.root, STAGING_DIR, rel);
    const path = join(this.root, rel);
    mkdirSync(dirname(staging), { recursive: true });
    mkdirSync(dirname(path), { recursive: true });
    await build(staging);
    renameSync(staging, path);
  }

  /** The recorded sha256 of an output this run produced (or kept). */
  sha256(rel: string): string {
    const r = this.record.outputs[rel];
    if (!r || !this.made.has(rel)) throw new Error(`${rel} was not produced in this run`);
    return r.sha256;
  }

  /** Removes the outputs an earlier run recorded that this one did not produce, and saves the record. */
  async removeStale(): Promise<string[]> {
    const stale = Object.keys(this.record.outputs).filter((rel) => !this.made.has(rel));
    for (const rel of stale) {
      rmSync(join(this.root, rel), { force: true });
      delete this.record.outputs[rel];
    }
    await this.save();
    return stale;
  }

  private save(): Promise<void> {
    mkdirSync(dirname(join(this.root, CACHE_FILE)), { recursive: true });
    return writeJsonAtomic(join(this.root, CACHE_FILE), this.record);
  }
}
