// `meetara finetune` as a user runs it: bad input gives one line naming file and line, exit 1, and loses nothing.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { finetune } from '../../src/trainer/finetune.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { chatData, tinyModel } from './fixtures.ts';

const dir = tempDir('meetara-finetune-cli-');

let base: string;
let qwen: string;
let data: { train: string; held: string };
let messy: string;
const longReply = 'talk to family and friend and doctor '.repeat(8);

beforeAll(async () => {
  base = await tinyModel(dir);
  qwen = await tinyModel(dir, 'qwen.gguf', 'qwen2');
  data = chatData(dir);
  // Valid lines, plus a cut-off line (2), a wrong role (4) and a sample far longer than --seq-len 64 (5).
  const lines = readFileSync(data.train, 'utf8').trim().split('\n');
  messy = join(dir, 'messy.jsonl');
  writeFileSync(
    messy,
    [
      lines[0],
      '{"messages": [{"role": "user", "content": "cut off',
      lines[1],
      JSON.stringify({ messages: [{ role: 'bot', content: 'hi' }] }),
      JSON.stringify({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: longReply },
        ],
      }),
      ...lines.slice(2, 10),
    ].join('\n'),
  );
});

const oneLine = (stderr: string) => stderr.trim().split('\n');
const train = (extra: string[]) =>
  runCli([
    'finetune',
    '--base',
    base,
    '--seq-len',
    '64',
    '--steps',
    '1',
    '--backend',
    'wasm',
    '--workers',
    '1',
    ...extra,
  ]);

describe('meetara finetune: bad input', () => {
  it('without --strict, bad lines are skipped and named, long samples truncated and counted, and training runs', () => {
    const out = join(dir, 'messy');
    const r = train(['--data', messy, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${messy} line 2 skipped: not valid JSON`);
    expect(r.stderr).toContain(`${messy} line 4 skipped: messages[0].role`);
    expect(r.stderr).toContain('1 samples longer than --seq-len 64 were truncated');
    const report = JSON.parse(r.stdout);
    expect(report.data).toMatchObject({ samples: 11, badLines: 2, truncated: 1 });
    expect(existsSync(join(out, 'adapter.gguf'))).toBe(true);
  });

  it('--strict makes the first bad line fatal: one line with file and line number, exit 1', () => {
    const r = train(['--data', messy, '--out', join(dir, 'strict'), '--strict']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr.startsWith(`meetara: ${messy} line 2: not valid JSON (`)).toBe(true);
    expect(r.stderr.trim().endsWith('(--strict makes every bad line fatal)')).toBe(true);
  });

  it('--strict rejects a sample longer than --seq-len, naming its line', () => {
    const tooLong = join(dir, 'long.jsonl');
    const lines = readFileSync(messy, 'utf8').split('\n');
    writeFileSync(tooLong, [lines[0], lines[4]].join('\n'));
    const r = train(['--data', tooLong, '--out', join(dir, 'long'), '--strict']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`${tooLong} line 2: sample is `);
    expect(r.stderr).toMatch(/tokens, longer than --seq-len 64 \(raise --seq-len, or drop --strict to truncate\)/);
  });

  it('a file with no valid sample stops with one line', () => {
    const junk = join(dir, 'junk.jsonl');
    writeFileSync(junk, 'nope\n{"messages": []}\n');
    const r = train(['--data', junk, '--out', join(dir, 'junk')]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/junk\.jsonl: no valid samples \(2 bad lines, first at line 1/);
  });

  it('an output folder holding another run is refused unless --resume or --force, and is left untouched', async () => {
    const out = join(dir, 'messy');
    const before = readFileSync(join(out, 'adapter.gguf'));
    const r = train(['--data', data.train, '--out', out]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(
      /holds another run \(checkpoint\.safetensors, .*\); pass --resume .* to continue it or --force to start over/,
    );
    expect(readFileSync(join(out, 'adapter.gguf')).equals(before)).toBe(true);
    // --force starts over.
    const forced = await finetune({
      base,
      data: data.train,
      out,
      force: true,
      seqLen: 64,
      steps: 1,
      backend: 'wasm',
      workers: 1,
      log: () => {},
    });
    expect(forced.data.badLines).toBe(0);
  });

  it('resuming an adapter onto a base of another architecture is refused with one line', () => {
    const r = runCli(['finetune', '--resume', join(dir, 'messy'), '--base', qwen]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toEqual([
      `meetara: --base ${qwen} is a 'qwen2' model, but the adapter in ${join(dir, 'messy')} was trained on a 'llama' base (${base}); an adapter only fits its own architecture`,
    ]);
  });

  it('missing --base is a usage error (exit 2)', () => {
    const r = runCli(['finetune', '--data', data.train, '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--base and --data are required/);
  });
});
