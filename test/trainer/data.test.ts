import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { type ChatEncoder, chatEncoderFromGguf, encodeSample } from '../../src/model/chat-encoder.ts';
import { renderChat } from '../../src/model/chat-template.ts';
import { Tokenizer } from '../../src/model/tokenizer/tokenizer.ts';
import { type ChatSample, parseChatJsonl, readChatJsonl } from '../../src/trainer/data.ts';
import { packRows } from '../../src/trainer/packing.ts';
import { tempDir } from '../helpers/temp.ts';
import { tinyModel } from './fixtures.ts';

const good = (q: string, a: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: q },
      { role: 'assistant', content: a },
    ],
  });

const dir = tempDir('meetara-data-');

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

describe('encoding with the model’s chat template and tokenizer', () => {
  let enc: ChatEncoder;
  let tok: Tokenizer;
  beforeAll(async () => {
    const base = await tinyModel(dir);
    enc = chatEncoderFromGguf(base);
    tok = Tokenizer.fromGgufFile(base);
  });
  const conversation: ChatSample = {
    messages: [
      { role: 'system', content: 'you care' },
      { role: 'user', content: 'sad family' },
      { role: 'assistant', content: 'feel sad? talk to family.' },
      { role: 'user', content: 'thanks' },
      { role: 'assistant', content: 'take care' },
    ],
  };

  it('tokenizes the rendered prompt as the model’s llama.cpp-identical tokenizer does (BOS first), and masks only assistant replies', () => {
    const s = encodeSample(enc, conversation, 1);
    const text = renderChat(conversation.messages);
    expect(Array.from(s.tokens)).toEqual(tok.tokenize(text, { addSpecial: true, parseSpecial: true }));
    // The masked spans, decoded, are each reply with its end-of-turn marker.
    const spans: string[] = [];
    let cur: number[] = [];
    s.lossMask.forEach((m, i) => {
      if (m) cur.push(s.tokens[i]);
      else if (cur.length) {
        spans.push(tok.detokenize(cur, { unparseSpecial: true }));
        cur = [];
      }
    });
    if (cur.length) spans.push(tok.detokenize(cur, { unparseSpecial: true }));
    expect(spans.map((x) => x.trim())).toEqual(['feel sad? talk to family.<|im_end|>', 'take care<|im_end|>']);
  });

  it('counts every token under --loss-on all (pretraining), with the same tokens', () => {
    const assistant = encodeSample(enc, conversation, 1);
    const all = encodeSample(enc, conversation, 1, 'all');
    expect(all.tokens).toEqual(assistant.tokens);
    expect(Array.from(all.lossMask)).toEqual(new Array(all.tokens.length).fill(1));
  });

  it('packs samples into rows with one segment each, labels only where the next token is an assistant token', () => {
    const a = encodeSample(enc, conversation, 1);
    const b = encodeSample(enc, { messages: conversation.messages.slice(0, 3) }, 2);
    const samples = [a, b].map((s) => ({ ...s, truncated: false }));
    const [row] = packRows(samples, a.tokens.length + b.tokens.length + 5);
    expect(row.segments.filter((x) => x === 1)).toHaveLength(a.tokens.length);
    expect(row.segments.filter((x) => x === 2)).toHaveLength(b.tokens.length);
    expect(row.segments.filter((x) => x === 0)).toHaveLength(5);
    for (let i = 0; i < a.tokens.length; i++) {
      expect(row.labels[i]).toBe(i + 1 < a.tokens.length && a.lossMask[i + 1] ? a.tokens[i + 1] : -1);
    }
    // The last token of a sample never predicts the next sample's first token.
    expect(row.labels[a.tokens.length - 1]).toBe(-1);
    expect(row.lossTokens).toBe(
      a.lossMask.slice(1).reduce((x, y) => x + y, 0) + b.lossMask.slice(1).reduce((x, y) => x + y, 0),
    );
    // Without packing each sample gets its own padded row.
    const rows = packRows(samples, a.tokens.length, false);
    expect(rows).toHaveLength(2);
    expect(rows[1].segments.filter((x) => x === 1)).toHaveLength(b.tokens.length);
  });
});
