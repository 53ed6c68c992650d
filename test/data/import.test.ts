import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importChatData } from '../../src/data/import.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('meetara-import-');

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const chat = (user: string, assistant: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: assistant },
    ],
  });

describe('importing chat data', () => {
  it('OpenAI messages: exact accepted and rejected lines', async () => {
    const path = file('openai.jsonl', [
      chat('How do I sleep better?', 'Keep a regular wake time, even on weekends.'),
      '',
      '{"messages": [{"role": "user", "content": "hi"}', // 3: broken JSON
      JSON.stringify({ messages: [{ role: 'user', content: 'only a question?' }] }), // 4: too few messages
      JSON.stringify({
        messages: [
          { role: 'robot', content: 'x' },
          { role: 'user', content: 'y' },
        ],
      }), // 5: bad role
      chat('What helps with stress?', '   '), // 6: empty content
      chat('Is coffee bad at night?', 'Caffeine late in the day can keep you awake for hours.'),
      chat('How do I sleep better?', 'Keep a regular wake time, even on weekends.'), // 8: duplicate of 1
    ]);
    const r = await importChatData(path, 'auto');
    expect(r.format).toBe('openai');
    expect(r.accepted.map((s) => s.line)).toEqual([1, 7]);
    expect(r.rejected.map((s) => s.line)).toEqual([3, 4, 5, 6, 8]);
    expect(r.rejected[0]?.reason).toBe('not valid JSON');
    expect(r.rejected[4]?.reason).toMatch(/near-duplicate of line 1/);
    expect(r.nearDuplicates).toBe(1);
  });

  it('ShareGPT: speakers are mapped and unknown speakers rejected', async () => {
    const conv = (turns: [string, string][]) =>
      JSON.stringify({ conversations: turns.map(([from, value]) => ({ from, value })) });
    const path = file('sharegpt.jsonl', [
      conv([
        ['system', 'Be kind.'],
        ['human', 'I failed my exam.'],
        ['gpt', 'That hurts. What would help you prepare for the retake?'],
      ]),
      conv([
        ['human', 'hello'],
        ['alien', 'zzz'],
      ]), // 2: unknown speaker
      conv([
        ['human', 'one'],
        ['human', 'two'],
      ]), // 3: no assistant turn
      'not json at all', // 4
      conv([
        ['user', 'Can you help me plan my week?'],
        ['assistant', 'Sure. Start with the three things that matter most.'],
      ]),
    ]);
    const r = await importChatData(path, 'sharegpt', 'You are MeeTARA.');
    expect(r.accepted.map((s) => s.line)).toEqual([1, 5]);
    expect(r.rejected.map((s) => [s.line, s.reason.split(':')[0]])).toEqual([
      [2, 'conversations.1.from'],
      [3, 'no assistant turn'],
      [4, 'not valid JSON'],
    ]);
    expect(r.accepted[0]?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    // The domain's system prompt is added only where the conversation has none.
    expect(r.accepted[1]?.messages[0]).toEqual({ role: 'system', content: 'You are MeeTARA.' });
  });

  it('Alpaca: instruction and input become the user turn', async () => {
    const path = file('alpaca.jsonl', [
      JSON.stringify({ instruction: 'Summarise this.', input: 'A long note.', output: 'A short note.' }),
      JSON.stringify({ instruction: 'Name three fruits.', output: 'Apple, pear and plum.' }),
      JSON.stringify({ instruction: 'No answer here.' }), // 3: no output → not recognised as anything
      JSON.stringify({ instruction: 'Empty answer', input: '', output: '' }), // 4: empty output
    ]);
    const r = await importChatData(path, 'alpaca');
    expect(r.accepted.map((s) => s.line)).toEqual([1, 2]);
    expect(r.rejected.map((s) => s.line)).toEqual([3, 4]);
    expect(r.accepted[0]?.messages).toEqual([
      { role: 'user', content: 'Summarise this.\n\nA long note.' },
      { role: 'assistant', content: 'A short note.' },
    ]);
  });

  it('refuses unreadable files, JSON arrays and undetectable formats', async () => {
    await expect(importChatData(join(dir, 'missing.jsonl'), 'auto')).rejects.toThrow(/cannot read import file/);
    await expect(importChatData(file('array.json', ['[{"a": 1}]']), 'auto')).rejects.toThrow(/JSON array/);
    await expect(importChatData(file('odd.jsonl', ['{"question": "x"}', '{"q": 2}']), 'auto')).rejects.toThrow(
      /cannot detect the format/,
    );
  });
});
