import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir();
const model = join(dir, 'm.gguf');
const initArgs = ['--vocab', '300', '--dim', '32', '--layers', '1', '--heads', '2', '--ffn', '64', '--ctx', '64'];

describe('meetara CLI', () => {
  it('prints --help for the program and every command, exit 0', () => {
    const top = runCli(['--help']);
    expect(top.code).toBe(0);
    const commandsSection = top.stdout.slice(top.stdout.indexOf('Commands:'));
    const commands = [...commandsSection.matchAll(/^ {2}([a-z-]+)(?: \[options\])?/gm)]
      .map((m) => m[1])
      .filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['inspect', 'init-model', 'train', 'compress', 'demo']));
    for (const c of commands) {
      const r = runCli([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain(`Usage: meetara ${c}`);
    }
  });

  it('init-model then inspect --json gives version, alignment, metadata and tensors', () => {
    expect(runCli(['init-model', ...initArgs, '--out', model]).code).toBe(0);
    const r = runCli(['inspect', model, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.version).toBe(3);
    expect(j.alignment).toBe(32);
    expect(j.metadata['general.architecture']).toBe('llama');
    expect(j.metadata['llama.embedding_length']).toBe(32);
    expect(j.tensors[0]).toEqual({ name: 'token_embd.weight', type: 'F32', shape: [32, 300], offset: 0 });
    const plain = runCli(['inspect', model]);
    expect(plain.stdout).toMatch(/architecture:\s+llama/);
    expect(plain.stdout).toMatch(/blk\.0\.attn_q\.weight\s+F32\s+\[32, 32\]\s+4096/);
  });

  it('a malformed file gives one line naming the field and offset, exit 1', () => {
    const bytes = readFileSync(model);
    const bad = join(dir, 'bad.gguf');
    writeFileSync(bad, bytes.subarray(0, bytes.length - 4096));
    const r = runCli(['inspect', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^meetara: bad GGUF .*bad\.gguf: tensor '[^']+' offset \d+ \+ \d+ bytes is past end of file/,
    );
  });

  it('a missing file is one line, exit 1; a usage error is exit 2', () => {
    const missing = runCli(['inspect', join(dir, 'nope.gguf')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('ENOENT');
    const usage = runCli(['init-model', '--vocab', 'lots']);
    expect(usage.code).toBe(2);
    expect(runCli(['inspect']).code).toBe(2);
  });

  it('init-model refuses impossible shapes with one line, exit 1, and writes nothing', () => {
    const out = join(dir, 'never.gguf');
    const r = runCli(['init-model', ...initArgs.slice(0, 6), '--heads', '3', '--ffn', '64', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--dim 32 must be divisible by --heads 3/);
    expect(() => readFileSync(out)).toThrow();
  });
});
