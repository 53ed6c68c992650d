import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('meetara-data-cli-');

describe('meetara data', () => {
  it('generates chat JSONL per domain and a data card', () => {
    const out = join(dir, 'gen');
    const r = runCli(['data', '--domains', 'sleep,legal', '--samples', '30', '--out', out, '--seed', '4', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const card = JSON.parse(r.stdout);
    expect(card.domains.map((d: { domain: string }) => d.domain)).toEqual(['sleep', 'legal']);
    expect(card).toEqual(JSON.parse(readFileSync(join(out, 'data_card.json'), 'utf8')));
    const lines = readFileSync(join(out, 'legal', 'train.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(30);
    const first = JSON.parse(lines[0] as string);
    expect(first).toMatchObject({ domain: 'legal', category: 'specialized' });
    expect(first.messages[0].role).toBe('system');
    expect(
      readFileSync(join(out, 'sleep', 'heldout.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(20);
    expect(readFileSync(join(out, 'data_card.md'), 'utf8')).toMatch(/\| legal \| generated \| 30 \| 20 \|/);
  });

  it('imports a file and reports every rejected line with its number', () => {
    const file = join(dir, 'mixed.jsonl');
    const good = (i: number) =>
      JSON.stringify({
        instruction: `Question number ${i} about sleep habits?`,
        output: `Answer ${i}: keep a steady bedtime.`,
      });
    writeFileSync(file, [good(1), 'oops', good(2), JSON.stringify({ instruction: 'x', output: '' })].join('\n'));
    const out = join(dir, 'imp');
    const r = runCli(['data', '--import', file, '--domain', 'sleep', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${file}:2: rejected: not valid JSON`);
    expect(r.stderr).toContain(`${file}:4: rejected: output: empty content`);
    expect(r.stderr).toContain('alpaca, 2 accepted, 2 rejected');
    const row = JSON.parse(readFileSync(join(out, 'sleep', 'train.jsonl'), 'utf8').split('\n')[0] as string);
    expect(row.messages[0].role).toBe('system');
  });

  it.each([
    [['--domains', 'general_helth'], /unknown domain "general_helth"; did you mean "general_health"\?/],
    [['--domains', 'sleep', '--samples', '0'], /--samples must be a positive integer, got 0/],
    [['--domains', 'sleep', '--samples', '-3'], /--samples must be a positive integer, got -3/],
    [['--domains', 'category:cooking'], /unknown category "cooking"/],
    [['--import', '/nonexistent/file.jsonl', '--domain', 'sleep'], /cannot read import file/],
    [['--import', 'package.json', '--domain', 'sleep'], /cannot detect the format/],
  ])('refuses %j with one line and exit 1', (args, message) => {
    const r = runCli(['data', ...args, '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
