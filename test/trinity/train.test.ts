// `meetara train --quick` end to end on the embedded base, judged by llama.cpp: the package passes its schema and
// every file's bytes and sha256, every adapter and model loads, the manifest's tuned perplexity matches an
// independent re-measurement, and predicted sizes match. The run is killed in the middle of its second domain
// and resumed: the first domain is kept as it was, and the second ends byte-identical to an uninterrupted run.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createContext, loadModel } from '../../src/eval/llama.ts';
import { heldoutPerplexity } from '../../src/eval/perplexity.ts';
import { DEFAULT_BASE } from '../../src/trinity/make-base.ts';
import { type TransferPackage, verifyTransferPackage } from '../../src/trinity/transfer-package.ts';
import { runCli, runCliUntil } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('meetara-train-');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const packageIn = (out: string) => join(out, readdirSync(out).find((e) => e.startsWith('colab_trinity_')) as string);

describe('meetara train --quick, killed in the middle and resumed', () => {
  const out = join(dir, 'run');
  let first: { code: number | null; stderr: string };
  let second: { code: number | null; stderr: string };
  let manifest: TransferPackage;
  let pkg: string;
  let keptBeforeResume: string;

  beforeAll(async () => {
    const args = ['--quick', '--domains', 'healthcare,business', '--out', out, '--archive'];
    // Kill once the second domain has written a mid-run checkpoint.
    first = await runCliUntil(['train', ...args], () => {
      if (!existsSync(out) || readdirSync(out).length === 0) return false;
      return existsSync(join(packageIn(out), 'domains', 'entrepreneurship', 'checkpoint.safetensors'));
    });
    pkg = packageIn(out);
    keptBeforeResume = sha(join(pkg, 'domains', 'general_health', 'adapter.gguf'));
    second = await runCliUntil(['train', ...args, '--resume']);
    manifest = JSON.parse(readFileSync(join(pkg, 'download_package.json'), 'utf8'));
  }, 600_000);

  it('was killed, then finished on --resume without redoing the finished domain', () => {
    expect(first.code).toBeNull();
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('general_health: finished in the earlier run, kept');
    expect(second.stderr).toMatch(/entrepreneurship: resuming at step [1-9]/);
    expect(sha(join(pkg, 'domains', 'general_health', 'adapter.gguf'))).toBe(keptBeforeResume);
  });

  it('writes a package that passes its schema, with every listed file present at the right bytes and sha256', async () => {
    const verified = await verifyTransferPackage(pkg);
    expect(verified.manifest.domains.map((d) => d.name)).toEqual(['general_health', 'entrepreneurship']);
    for (const f of manifest.files) {
      expect(readFileSync(join(pkg, f.path)).length, f.path).toBe(f.bytes);
      expect(sha(join(pkg, f.path)), f.path).toBe(f.sha256);
    }
    const fromTar = await verifyTransferPackage(`${pkg}.tar`);
    expect(fromTar.manifest.files).toEqual(manifest.files);
    await fromTar.dispose();
  });

  it('ends the resumed domain byte-identical to an uninterrupted run of it', async () => {
    const alone = join(dir, 'alone');
    const r = runCli(['train', '--quick', '--domains', 'business', '--out', alone], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    for (const file of ['adapter.gguf', 'full.gguf', 'lite.gguf']) {
      expect(sha(join(pkg, 'domains', 'entrepreneurship', file)), file).toBe(
        sha(join(packageIn(alone), 'domains', 'entrepreneurship', file)),
      );
    }
  }, 300_000);

  it('every adapter and model in the package loads in llama.cpp', async () => {
    const base = join(pkg, manifest.base.file);
    for (const d of manifest.domains) {
      for (const file of [d.files.full, d.files.lite]) {
        const m = await loadModel(join(pkg, file));
        await m.dispose();
      }
      const m = await loadModel(base);
      const ctx = await createContext(m, { lora: [{ filePath: join(pkg, d.files.adapter) }] });
      await ctx.dispose();
      await m.dispose();
    }
  });

  it('records tuned perplexities that an independent llama.cpp measurement reproduces within 2%', async () => {
    for (const d of manifest.domains) {
      const heldout = readFileSync(join(pkg, d.data.heldout), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const r = await heldoutPerplexity(join(pkg, manifest.base.file), heldout, {
        lora: [{ filePath: join(pkg, d.files.adapter) }],
      });
      expect(Math.abs(r.perplexity - d.metrics.tuned_perplexity) / r.perplexity).toBeLessThan(0.02);
      expect(d.metrics.tuned_perplexity).toBeLessThan(d.metrics.base_perplexity);
    }
  });

  it('predicted every output size within 1%, and priced a CPU run at zero, saying so', () => {
    const report = JSON.parse(readFileSync(join(pkg, 'run_report.json'), 'utf8'));
    expect(report.sizes).toHaveLength(6);
    for (const s of report.sizes) expect(Math.abs(s.error), s.file).toBeLessThan(0.01);
    const cost = JSON.parse(readFileSync(join(pkg, 'cost.json'), 'utf8'));
    expect(cost.totalUsd).toBe(0);
    expect(cost.note).toMatch(/CPU/);
    expect(manifest.base.file).toBe('base/meetara-tiny.gguf');
    expect(manifest.base.sha256).toBe(sha(DEFAULT_BASE));
  });
});

describe('meetara train refuses bad input with one line and exit 1', () => {
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(
    bad,
    `${JSON.stringify({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello there' },
      ],
    })}\nnot json\n`,
  );
  const notGguf = join(dir, 'broken.gguf');
  writeFileSync(notGguf, 'GGUF but not really');
  const busy = join(dir, 'busy');
  writeFileSync(join(dir, 'placeholder'), '');
  const smi = join(dir, 'nvidia-smi');
  writeFileSync(smi, "#!/bin/sh\necho '0, Tesla T4, 15360, 15000, 360, 0, 550.54.15'\n", { mode: 0o755 });

  it.each([
    [
      'an unknown domain',
      ['--domains', 'mental_helth'],
      /unknown domain "mental_helth"; did you mean "mental_health"\?/,
    ],
    [
      'a missing --data file',
      ['--domains', 'sleep', '--data', 'sleep=/nope.jsonl'],
      /cannot read import file \/nope.jsonl/,
    ],
    ['a malformed --data file', ['--domains', 'sleep', '--data', `sleep=${bad}`], /line 2: not valid JSON/],
    ['a base that does not load', ['--domains', 'sleep', '--base', notGguf], /is not a model llama.cpp can load/],
    [
      'a predicted cost over budget',
      ['--domains', 'sleep', '--nvidia-smi', smi, '--budget-usd', '0.0000001', '--gpu-price', '100'],
      /exceeds --budget-usd/,
    ],
    [
      'an output folder that is not empty and not a resumable run',
      ['--domains', 'sleep', '--out', dir],
      /is not empty and holds no resumable run/,
    ],
    ['--resume with nothing to resume', ['--domains', 'sleep', '--out', busy, '--resume'], /holds no unfinished run/],
  ])('%s', (_, args, message) => {
    const r = runCli(['train', '--quick', '--out', join(dir, `o-${Math.random()}`), ...args], { timeoutMs: 180_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
