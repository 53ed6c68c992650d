// The transfer package layer: sha256 against node:crypto, the sorted file list, safe paths (with a fast-check
// property), the .tar round trip, and the package itself: written, then verified as a folder, as its manifest and
// as a .tar; and each refusal (tampered, truncated, missing, '..', absolute path, escaping tar entry, link entries,
// bad schemaVersion) fails with a one-line PackageIntegrityError naming the file, writing nothing into the package.

import { createHash, randomBytes } from 'node:crypto';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix, sep } from 'node:path';
import fc from 'fast-check';
import { Header } from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, PackageIntegrityError } from '../../src/errors.ts';
import {
  extractTar,
  fileEntries,
  listFiles,
  safeRelativePath,
  sha256File,
  writeTar,
} from '../../src/trinity/package-files.ts';
import {
  PACKAGE_MANIFEST,
  PACKAGE_TYPE,
  parseTransferPackage,
  type TransferPackage,
  type TransferPackageInput,
  verifyTransferPackage,
  writeTransferPackage,
} from '../../src/trinity/transfer-package.ts';
import { tempDir } from '../helpers/temp.ts';

const tmp = tempDir('meetara-transfer-');

/** sha256 by node:crypto, the independent reference for hash-wasm. */
function refSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function write(path: string, data: string | Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
}

/** Every entry under `dir` with its kind, size, mtime and content hash: to show that nothing was written. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const s = lstatSync(join(dir, p));
      if (s.isDirectory()) {
        out.push(`${p}/`);
        walk(p);
      } else out.push(`${p} ${s.size} ${s.mtimeMs} ${refSha256(readFileSync(join(dir, p)))}`);
    }
  };
  walk('');
  return out;
}

/** An uncompressed tar built by hand from headers, so it can hold entries node-tar would never write. */
function rawTar(
  entries: { path: string; type?: 'File' | 'SymbolicLink' | 'Link' | 'Directory'; body?: string; linkpath?: string }[],
): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const type = e.type ?? 'File';
    const header = new Header({
      path: e.path,
      type,
      size: type === 'File' ? body.length : 0,
      mode: type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      linkpath: e.linkpath,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Expects `promise` to fail with a one-line PackageIntegrityError whose message matches `pattern`. */
async function expectRefused(promise: Promise<unknown>, pattern: RegExp): Promise<PackageIntegrityError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a PackageIntegrityError, but the call succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PackageIntegrityError);
  const e = err as PackageIntegrityError;
  expect(e.message).toMatch(pattern);
  expect(e.message).not.toContain('\n');
  expect(e.exitCode).toBe(1);
  return e;
}

describe('sha256File', () => {
  it('matches node:crypto on an empty file, a small one and one spanning several read chunks', async () => {
    const cases: [string, Uint8Array][] = [
      ['empty.bin', new Uint8Array(0)],
      ['small.txt', Buffer.from('MeeTARA transfer package\n')],
      ['large.bin', randomBytes(9 * 1024 * 1024 + 13)],
    ];
    for (const [name, bytes] of cases) {
      const p = join(tmp, 'hash', name);
      write(p, bytes);
      expect(await sha256File(p)).toBe(refSha256(bytes));
    }
    // The well-known digest of the empty string, so the reference itself is pinned too.
    expect(await sha256File(join(tmp, 'hash', 'empty.bin'))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('listFiles and fileEntries', () => {
  it('lists every regular file as a sorted relative POSIX path, honouring exclude', async () => {
    const root = join(tmp, 'list');
    for (const p of ['b.txt', 'a/z.bin', 'a/b/c.json', 'A.txt', 'skip.tar', 'a/_x']) write(join(root, p), p);
    mkdirSync(join(root, 'empty-dir'));
    expect(await listFiles(root)).toEqual(['A.txt', 'a/_x', 'a/b/c.json', 'a/z.bin', 'b.txt', 'skip.tar']);
    expect(await listFiles(root, { exclude: (p) => p.endsWith('.tar') })).not.toContain('skip.tar');
    const entries = await fileEntries(root, ['a/b/c.json', 'b.txt']);
    expect(entries).toEqual([
      { path: 'a/b/c.json', bytes: 10, sha256: refSha256(Buffer.from('a/b/c.json')) },
      { path: 'b.txt', bytes: 5, sha256: refSha256(Buffer.from('b.txt')) },
    ]);
  });

  it('refuses a symbolic link in the folder and a missing file', async () => {
    const root = join(tmp, 'list-link');
    write(join(root, 'real.txt'), 'x');
    symlinkSync('/etc/hostname', join(root, 'link.txt'));
    await expectRefused(listFiles(root), /link\.txt.* is a symbolic link/);
    await expectRefused(fileEntries(root, ['nope.bin']), /"nope\.bin" is missing/);
  });
});

describe('safeRelativePath', () => {
  it('accepts plain relative paths and refuses each unsafe form, naming the path', () => {
    for (const ok of ['download_package.json', 'models/health care/lite.Q4_K_M.gguf', '.hidden/x', 'a..b/c']) {
      expect(safeRelativePath(ok)).toBe(ok);
    }
    const bad: [string, RegExp][] = [
      ['', /is empty/],
      ['../outside.gguf', /"\.\.\/outside\.gguf".*'\.\.' segment/],
      ['models/../../x', /'\.\.' segment/],
      ['/etc/passwd', /"\/etc\/passwd".*absolute/],
      ['C:/Windows/x', /drive letter/],
      ['models\\lite.gguf', /backslash/],
      ['models//lite.gguf', /empty segment/],
      ['models/', /empty segment/],
      ['./models/lite.gguf', /'\.' segment/],
      ['lite\0.gguf', /NUL/],
      ['line\nbreak', /control character/],
    ];
    for (const [p, pattern] of bad) {
      let caught: unknown;
      try {
        safeRelativePath(p);
      } catch (e) {
        caught = e;
      }
      expect(caught, p).toBeInstanceOf(PackageIntegrityError);
      expect((caught as Error).message).toMatch(pattern);
      expect((caught as Error).message).not.toContain('\n');
      expect((caught as Error).message).toContain(JSON.stringify(p));
    }
  });

  it('either returns a path that stays inside the folder or throws PackageIntegrityError, never anything else', () => {
    const root = join(tmp, 'root');
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', 'a', 'models', 'x.gguf', '\\', 'C:', '\0', '\n', ' ', '..a', '~'),
      fc.string({ maxLength: 6 }),
    );
    const path = fc.oneof(
      fc.array(segment, { maxLength: 6 }).map((s) => s.join('/')),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('/', '//', '/a', 'a/..', '../a'),
    );
    fc.assert(
      fc.property(path, (p) => {
        let out: string;
        try {
          out = safeRelativePath(p);
        } catch (e) {
          if (!(e instanceof PackageIntegrityError)) throw e;
          if (e.message.includes('\n')) throw new Error('message spans lines');
          return;
        }
        // Accepted: unchanged, relative, already normal, and joined to a root it stays strictly inside it.
        expect(out).toBe(p);
        expect(isAbsolute(p)).toBe(false);
        expect(posix.normalize(p)).toBe(p);
        expect(join(root, p).startsWith(root + sep)).toBe(true);
        expect(p.split('/')).not.toContain('..');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('writeTar and extractTar', () => {
  it('round-trips a folder byte for byte, under a top-level folder, leaving no temporary file', async () => {
    const src = join(tmp, 'tar-src', 'colab_trinity_x');
    const files: Record<string, Uint8Array> = {
      'a.txt': Buffer.from('alpha'),
      'models/m.gguf': randomBytes(70_000),
      '@looks-like-an-archive.txt': Buffer.from('at sign'),
      'deep/er/still/z.json': Buffer.from('{}'),
      'old.tar': Buffer.from('not packed'),
    };
    for (const [p, b] of Object.entries(files)) write(join(src, p), b);
    const tarPath = join(tmp, 'tar-src', 'colab_trinity_x.tar');
    const { files: count, bytes } = await writeTar(src, tarPath);
    expect(count).toBe(4);
    expect(lstatSync(tarPath).size).toBe(bytes);
    expect(readdirSync(join(tmp, 'tar-src')).sort()).toEqual(['colab_trinity_x', 'colab_trinity_x.tar']);

    const out = join(tmp, 'tar-out');
    await extractTar(tarPath, out);
    expect(readdirSync(out)).toEqual(['colab_trinity_x']);
    const back = join(out, 'colab_trinity_x');
    expect(await listFiles(back)).toEqual([
      '@looks-like-an-archive.txt',
      'a.txt',
      'deep/er/still/z.json',
      'models/m.gguf',
    ]);
    for (const p of await listFiles(back)) expect(refSha256(readFileSync(join(back, p))), p).toBe(refSha256(files[p]));
    await expect(extractTar(tarPath, out)).rejects.toThrow(InputError);
  });

  const escaping: [string, Parameters<typeof rawTar>[0], RegExp][] = [
    [
      'a .. entry',
      [
        { path: 'ok.txt', body: 'fine' },
        { path: '../escaped.txt', body: 'evil' },
      ],
      /"\.\.\/escaped\.txt".*'\.\.' segment/,
    ],
    [
      'an absolute entry',
      [{ path: '/tmp/meetara-absolute-escape.txt', body: 'evil' }],
      /meetara-absolute-escape\.txt.*absolute/,
    ],
    ['a symbolic link', [{ path: 'link', type: 'SymbolicLink', linkpath: '/etc' }], /"link" is a symbolic link/],
    ['a hard link', [{ path: 'hard', type: 'Link', linkpath: '../../etc/passwd' }], /"hard" is a hard link/],
  ];
  for (const [what, entries, pattern] of escaping) {
    it(`refuses ${what} and extracts nothing`, async () => {
      const base = join(tmp, `tar-bad-${what.replace(/\W+/g, '-')}`);
      mkdirSync(base, { recursive: true });
      const tarPath = join(base, 'bad.tar');
      writeFileSync(tarPath, rawTar(entries));
      const out = join(base, 'sub', 'out');
      await expectRefused(extractTar(tarPath, out), pattern);
      expect(readdirSync(join(base, 'sub'))).toEqual([]); // neither the folder nor its temporary sibling
      expect(readdirSync(base).sort()).toEqual(['bad.tar', 'sub']); // '../escaped.txt' landed nowhere
      expect(() => lstatSync('/tmp/meetara-absolute-escape.txt')).toThrow();
    });
  }

  it('refuses a file that is not a tar', async () => {
    const p = join(tmp, 'not-a.tar');
    writeFileSync(p, randomBytes(3000));
    await expectRefused(extractTar(p, join(tmp, 'not-a-out')), /not-a\.tar/);
    expect(() => lstatSync(join(tmp, 'not-a-out'))).toThrow();
  });
});

// ---- the transfer package ----

const DOMAINS = [
  { name: 'general_health', category: 'healthcare' },
  { name: 'stress_management', category: 'mental_health' },
];

/** Builds a small package folder: real files with made-up bytes, and a manifest that refers to all of them. */
async function buildPackageFolder(dir: string): Promise<TransferPackageInput> {
  const base = randomBytes(4096);
  write(join(dir, 'base/meetara-tiny.gguf'), base);
  write(join(dir, 'plan.json'), JSON.stringify({ schemaVersion: 1, domains: DOMAINS.map((d) => d.name) }));
  write(join(dir, 'cost.json'), JSON.stringify({ schemaVersion: 1, totalUsd: 0 }));
  const domains = DOMAINS.map((d, i) => {
    const data = `data/${d.name}`;
    const lines = (n: number) =>
      Array.from({ length: n }, (_, k) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: `q${k}` },
            { role: 'assistant', content: `a${k}` },
          ],
        }),
      ).join('\n');
    write(join(dir, `${data}/train.jsonl`), lines(40 + i));
    write(join(dir, `${data}/heldout.jsonl`), lines(8));
    write(join(dir, `${data}/card.json`), JSON.stringify({ domain: d.name }));
    write(join(dir, `adapters/${d.name}/adapter.gguf`), randomBytes(2048 + i));
    write(join(dir, `adapters/${d.name}/adapter_model.safetensors`), randomBytes(1024));
    write(join(dir, `adapters/${d.name}/adapter_config.json`), JSON.stringify({ r: 8, lora_alpha: 16 }));
    write(join(dir, `models/${d.name}/full.gguf`), randomBytes(8192));
    write(join(dir, `models/${d.name}/lite.Q4_K_M.gguf`), randomBytes(3000));
    return {
      ...d,
      data: {
        train: `${data}/train.jsonl`,
        heldout: `${data}/heldout.jsonl`,
        card: `${data}/card.json`,
        samples: 40 + i,
        heldoutSamples: 8,
        distinct2: 0.41,
        nearDuplicateRate: 0.0125,
        tokens: 5120,
      },
      files: {
        adapter: `adapters/${d.name}/adapter.gguf`,
        peft_adapter: `adapters/${d.name}/adapter_model.safetensors`,
        peft_config: `adapters/${d.name}/adapter_config.json`,
        full: `models/${d.name}/full.gguf`,
        lite: `models/${d.name}/lite.Q4_K_M.gguf`,
      },
      lite_type: 'Q4_K_M',
      metrics: {
        train_loss: 1.92,
        heldout_loss: i === 0 ? 2.05 : null,
        base_perplexity: 41.3,
        tuned_perplexity: 7.77,
        trained_tokens: 10240,
        steps: 20,
        tokens_per_second: 812.5,
        wall_seconds: 12.6,
      },
      cost: { seconds: 12.6, usd: 0 },
    };
  });
  return {
    created: '2026-11-25T10:00:00.000Z',
    device: { backend: 'wasm', gpu: null, gpu_memory_bytes: null, cpu: 'Test CPU', cores: 2 },
    base: { file: 'base/meetara-tiny.gguf', sha256: refSha256(base), architecture: 'llama', parameters: 1_234_567 },
    domains,
    plan: 'plan.json',
    cost: 'cost.json',
    workflow_metrics: { total_seconds: 30.5, samples_per_second: 2.9, domains_per_minute: 3.93, total_cost_usd: 0 },
  };
}

describe('writeTransferPackage and verifyTransferPackage', () => {
  const good = join(tmp, 'packages', 'colab_trinity_20261125T100000Z');
  let written: TransferPackage;
  let copies = 0;

  /** A fresh copy of the good package to break, and the path to its manifest. */
  function copyOfGood(): { dir: string; manifestPath: string; manifest: TransferPackage } {
    const dir = join(tmp, 'packages', `copy-${copies++}`, 'colab_trinity_20261125T100000Z');
    cpSync(good, dir, { recursive: true, preserveTimestamps: true });
    const manifestPath = join(dir, PACKAGE_MANIFEST);
    return { dir, manifestPath, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) };
  }

  beforeAll(async () => {
    const input = await buildPackageFolder(good);
    write(join(good, 'stale.tar'), 'an archive from an earlier run is not part of the package');
    written = await writeTransferPackage(good, input);
  });

  it('lists every file but the manifest and .tar files, with sizes and sha256 computed from the files', async () => {
    const onDisk = (await listFiles(good)).filter((p) => p !== PACKAGE_MANIFEST && p !== 'stale.tar');
    expect(written.files.map((f) => f.path)).toEqual(onDisk);
    expect(onDisk).toHaveLength(3 + 2 * 8);
    for (const f of written.files) {
      const bytes = readFileSync(join(good, f.path));
      expect(f.bytes, f.path).toBe(bytes.length);
      expect(f.sha256, f.path).toBe(refSha256(bytes));
    }
    expect(written.schemaVersion).toBe(1);
    expect(written.package_type).toBe(PACKAGE_TYPE);
    const onFile = JSON.parse(readFileSync(join(good, PACKAGE_MANIFEST), 'utf8'));
    expect(onFile).toEqual(written);
    expect(readdirSync(good).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('verifies the folder and its manifest path, writing nothing', async () => {
    const before = snapshot(good);
    for (const path of [good, join(good, PACKAGE_MANIFEST)]) {
      const v = await verifyTransferPackage(path);
      expect(v.root).toBe(good);
      expect(v.manifest).toEqual(written);
      await v.dispose();
    }
    expect(snapshot(good)).toEqual(before);
  });

  it('verifies the .tar in a temporary folder that dispose() removes', async () => {
    const tarPath = `${good}.tar`;
    await writeTar(good, tarPath);
    const scratch = join(tmp, 'scratch-ok');
    mkdirSync(scratch);
    const before = snapshot(good);
    const v = await verifyTransferPackage(tarPath, { tempDir: scratch });
    expect(v.root.startsWith(scratch + sep)).toBe(true);
    expect(v.manifest).toEqual(written);
    expect(await listFiles(v.root)).toEqual([...written.files.map((f) => f.path), PACKAGE_MANIFEST].sort());
    await v.dispose();
    await v.dispose();
    expect(readdirSync(scratch)).toEqual([]);
    expect(snapshot(good)).toEqual(before);
    rmSync(tarPath);
  });

  it('refuses to write a manifest that names a file the folder does not hold', async () => {
    const dir = join(tmp, 'packages', 'incomplete');
    const input = await buildPackageFolder(dir);
    rmSync(join(dir, input.domains[1].files.lite));
    await expectRefused(writeTransferPackage(dir, input), /domains\[1\]\.files\.lite.*lite\.Q4_K_M\.gguf.*not listed/);
    expect(() => lstatSync(join(dir, PACKAGE_MANIFEST))).toThrow();
  });

  it('refuses a tampered file (one byte flipped, same size)', async () => {
    const { dir } = copyOfGood();
    const target = join(dir, 'models/general_health/full.gguf');
    const bytes = readFileSync(target);
    bytes[1234] ^= 0x01;
    writeFileSync(target, bytes);
    const before = snapshot(dir);
    await expectRefused(verifyTransferPackage(dir), /file "models\/general_health\/full\.gguf" sha256 mismatch/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a truncated file, giving both sizes', async () => {
    const { dir } = copyOfGood();
    const target = join(dir, 'adapters/stress_management/adapter.gguf');
    const bytes = readFileSync(target);
    writeFileSync(target, bytes.subarray(0, bytes.length - 100));
    const before = snapshot(dir);
    await expectRefused(
      verifyTransferPackage(join(dir, PACKAGE_MANIFEST)),
      new RegExp(
        `file "adapters/stress_management/adapter\\.gguf" is ${bytes.length - 100} bytes, manifest says ${bytes.length}`,
      ),
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a missing file', async () => {
    const { dir } = copyOfGood();
    rmSync(join(dir, 'data/general_health/heldout.jsonl'));
    const before = snapshot(dir);
    await expectRefused(verifyTransferPackage(dir), /file "data\/general_health\/heldout\.jsonl" is missing/);
    expect(snapshot(dir)).toEqual(before);
  });

  /** Rewrites the copy's manifest with `edit` applied, then expects verification to refuse it. */
  async function refusesEdited(edit: (m: TransferPackage & Record<string, unknown>) => void, pattern: RegExp) {
    const { dir, manifestPath, manifest } = copyOfGood();
    edit(manifest as TransferPackage & Record<string, unknown>);
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const before = snapshot(dir);
    const parent = join(dir, '..');
    const parentBefore = readdirSync(parent);
    await expectRefused(verifyTransferPackage(dir), pattern);
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(parent)).toEqual(parentBefore);
  }

  it("refuses a files[] path with '..'", async () => {
    await refusesEdited((m) => {
      m.files[0].path = '../outside.json';
    }, /field files\[0\]\.path: unsafe path "\.\.\/outside\.json"/);
  });

  it('refuses an absolute files[] path', async () => {
    await refusesEdited((m) => {
      m.files[2].path = '/etc/passwd';
    }, /field files\[2\]\.path: unsafe path "\/etc\/passwd".*absolute/);
  });

  it("refuses a '..' in a domain's file reference", async () => {
    await refusesEdited((m) => {
      m.domains[1].files.full = 'models/../../../secret.gguf';
    }, /field domains\[1\]\.files\.full: unsafe path "models\/\.\.\/\.\.\/\.\.\/secret\.gguf"/);
  });

  it('refuses a file reference missing from files[] and a base sha256 that is not the listed one', async () => {
    await refusesEdited((m) => {
      m.files = m.files.filter((f) => f.path !== 'cost.json');
    }, /field cost: file "cost\.json" is not listed in files\[\]/);
    await refusesEdited((m) => {
      m.base.sha256 = '0'.repeat(64);
    }, /field base\.sha256 does not match.*base\/meetara-tiny\.gguf/);
  });

  it('refuses another schemaVersion, a wrong package_type, a bad field and broken JSON', async () => {
    await refusesEdited((m) => {
      m.schemaVersion = 2 as 1;
    }, /download_package\.json.*field schemaVersion is 2; this meetara reads schemaVersion 1/);
    await refusesEdited((m) => {
      delete (m as Partial<TransferPackage>).schemaVersion;
    }, /field schemaVersion is missing/);
    await refusesEdited((m) => {
      m.package_type = 'something_else' as typeof PACKAGE_TYPE;
    }, /field package_type/);
    await refusesEdited((m) => {
      m.domains[0].metrics.steps = -3;
    }, /field domains\[0\]\.metrics\.steps/);
    const { dir, manifestPath } = copyOfGood();
    writeFileSync(manifestPath, '{"schemaVersion": 1,');
    await expectRefused(verifyTransferPackage(dir), /download_package\.json" is not valid JSON/);
  });

  it('refuses a path that is not there', async () => {
    await expectRefused(
      verifyTransferPackage(join(tmp, 'no-such-package')),
      /no transfer package at .*no-such-package/,
    );
  });

  it('refuses a .tar with a tampered file or an escaping entry, removing its temporary folder', async () => {
    const scratch = join(tmp, 'scratch-bad');
    mkdirSync(scratch);
    const { dir } = copyOfGood();
    const target = join(dir, 'data/stress_management/train.jsonl');
    const bytes = readFileSync(target);
    bytes[0] ^= 0x20;
    writeFileSync(target, bytes);
    const tampered = join(tmp, 'packages', 'tampered.tar');
    await writeTar(dir, tampered);
    await expectRefused(
      verifyTransferPackage(tampered, { tempDir: scratch }),
      /file "data\/stress_management\/train\.jsonl" sha256 mismatch/,
    );
    expect(readdirSync(scratch)).toEqual([]);

    const manifest = readFileSync(join(good, PACKAGE_MANIFEST), 'utf8');
    const escaping = join(tmp, 'packages', 'escaping.tar');
    writeFileSync(
      escaping,
      rawTar([
        { path: 'pkg/', type: 'Directory' },
        { path: `pkg/${PACKAGE_MANIFEST}`, body: manifest },
        { path: 'pkg/../../planted.txt', body: 'evil' },
      ]),
    );
    await expectRefused(
      verifyTransferPackage(escaping, { tempDir: scratch }),
      /escaping\.tar.*"pkg\/\.\.\/\.\.\/planted\.txt"/,
    );
    expect(readdirSync(scratch)).toEqual([]);
    expect(readdirSync(tmp)).not.toContain('planted.txt');
  });

  it('parseTransferPackage accepts what the writer wrote and refuses a duplicate domain', () => {
    expect(parseTransferPackage(structuredClone(written))).toEqual(written);
    const dup = structuredClone(written);
    dup.domains[1].name = dup.domains[0].name;
    expect(() => parseTransferPackage(dup)).toThrow(/domains\[1\]\.name: domain "general_health" appears twice/);
  });
});
