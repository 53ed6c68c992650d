import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { parseChatJsonl, readChatJsonl } from '../../src/trainer/data.ts';

const good = (q: string, a: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: q },
      { role: 'assistant', content: a },
    ],
  });

const dir = mkdtempSync(join(tmpdir(), 'meetara-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chat JSONL validation', () => {
  const text = [
    good('hi', 'hello'),
    '{"messages": [{"role": "user", "content": "broken"',
    '',
    JSON.stringify({ messages: [{ role: 'robot', content: 'x' }] }),
    JSON.stringify({ messages: [{ role: 'user', content: 'no reply' }] }),
    JSON.stringify({
      messages: [
        { role: 'user', content: 7 },
        { role: 'assistant', content: 'x' },
      ],
    }),
    JSON.stringify({ text: 'not chat' }),
    good('how are you', 'fine'),
  ].join('\n');

  it('keeps valid samples with their line numbers and names every bad line and why', () => {
    const { samples, bad } = parseChatJsonl(text, 'train.jsonl');
    expect(samples.map((s) => s.line)).toEqual([1, 8]);
    expect(bad.map((b) => b.line)).toEqual([2, 4, 5, 6, 7]);
    expect(bad[0].reason).toMatch(/not valid JSON/);
    expect(bad[1].reason).toMatch(/^messages\[0\]\.role: /);
    expect(bad[2].reason).toMatch(/needs at least one assistant message/);
    expect(bad[3].reason).toMatch(/^messages\[1\]\.content: |^messages\[0\]\.content: /);
    expect(bad[4].reason).toMatch(/^messages: /);
  });

  it('--strict makes the first bad line fatal, naming file and line', () => {
    expect(() => parseChatJsonl(text, 'train.jsonl', true)).toThrow(InputError);
    expect(() => parseChatJsonl(text, 'train.jsonl', true)).toThrow(/^train\.jsonl line 2: not valid JSON/);
  });

  it('a file with no valid sample is an error that says what a line must look like', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"x":1}\nnot json\n');
    expect(() => readChatJsonl(file)).toThrow(
      /no valid samples \(2 bad lines, first at line 1: .*\); each line must be/,
    );
    writeFileSync(file, '\n\n');
    expect(() => readChatJsonl(file)).toThrow(/no valid samples \(the file is empty\)/);
    expect(() => readChatJsonl(join(dir, 'missing.jsonl'))).toThrow(/cannot read data file .*ENOENT/);
  });
});
