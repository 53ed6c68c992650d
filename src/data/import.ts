// Imports chat data in the common formats (OpenAI messages, ShareGPT, Alpaca) to our chat JSONL, streaming line by
// line. Every rejected line is reported with its line number and reason; nothing is dropped silently.

import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { conversationText, type GeneratedMessage } from './generate.ts';
import { NearDuplicateIndex } from './metrics.ts';

export const IMPORT_FORMATS = ['openai', 'sharegpt', 'alpaca'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const content = z.string().refine((s) => s.trim() !== '', 'empty content');

const OpenAiSchema = z.object({
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content })).min(2),
});

const SHAREGPT_ROLES: Record<string, GeneratedMessage['role']> = {
  system: 'system',
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  chatgpt: 'assistant',
  bot: 'assistant',
};
const ShareGptSchema = z.object({
  conversations: z
    .array(
      z.object({
        from: z.enum(Object.keys(SHAREGPT_ROLES) as [string, ...string[]]),
        value: content,
      }),
    )
    .min(2),
});

const AlpacaSchema = z.object({ instruction: content, input: z.string().optional(), output: content });

export interface ImportedSample {
  readonly line: number;
  readonly messages: GeneratedMessage[];
}

export interface ImportResult {
  readonly format: ImportFormat;
  readonly accepted: ImportedSample[];
  readonly rejected: { readonly line: number; readonly reason: string }[];
  readonly lines: number;
  readonly nearDuplicates: number;
}

/** Which format a parsed line is in, by its keys; undefined when none fits. */
export function detectFormat(value: unknown): ImportFormat | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('messages' in value) return 'openai';
  if ('conversations' in value) return 'sharegpt';
  if ('instruction' in value && 'output' in value) return 'alpaca';
  return undefined;
}

/** Normalises one parsed line, or returns why it cannot be used. */
export function normalize(value: unknown, format: ImportFormat): GeneratedMessage[] | string {
  const parsed =
    format === 'openai'
      ? OpenAiSchema.safeParse(value)
      : format === 'sharegpt'
        ? ShareGptSchema.safeParse(value)
        : AlpacaSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || format}: ${issue?.message}`;
  }
  let messages: GeneratedMessage[];
  if (format === 'openai') messages = (parsed.data as z.infer<typeof OpenAiSchema>).messages;
  else if (format === 'sharegpt') {
    messages = (parsed.data as z.infer<typeof ShareGptSchema>).conversations.map((t) => ({
      role: SHAREGPT_ROLES[t.from] as GeneratedMessage['role'],
      content: t.value,
    }));
  } else {
    const a = parsed.data as z.infer<typeof AlpacaSchema>;
    const user = a.input?.trim() ? `${a.instruction}\n\n${a.input}` : a.instruction;
    messages = [
      { role: 'user', content: user },
      { role: 'assistant', content: a.output },
    ];
  }
  if (!messages.some((m) => m.role === 'user')) return 'no user turn';
  if (!messages.some((m) => m.role === 'assistant')) return 'no assistant turn';
  return messages.map((m) => ({ role: m.role, content: m.content.trim() }));
}

/**
 * Streams `file` (JSONL), detecting the format from the first parseable line when `format` is 'auto'. A
 * `systemPrompt` is prepended to conversations that have no system message. Near-duplicates (Jaccard ≥ 0.8) of
 * earlier accepted lines are rejected too.
 */
export async function importChatData(
  file: string,
  format: ImportFormat | 'auto',
  systemPrompt?: string,
): Promise<ImportResult> {
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new InputError(`cannot read import file ${file}`);
  }
  let chosen: ImportFormat | undefined = format === 'auto' ? undefined : format;
  const accepted: ImportedSample[] = [];
  const rejected: { line: number; reason: string }[] = [];
  const index = new NearDuplicateIndex();
  let nearDuplicates = 0;
  let lineNo = 0;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of lines) {
    lineNo++;
    const text = raw.trim();
    if (text === '') continue;
    if (lineNo === 1 && text.startsWith('[')) {
      throw new InputError(`${file} is a JSON array; convert it to JSONL (one object per line), e.g. jq -c '.[]'`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      rejected.push({ line: lineNo, reason: 'not valid JSON' });
      continue;
    }
    chosen ??= detectFormat(value);
    if (!chosen) {
      rejected.push({
        line: lineNo,
        reason: 'format not recognised (no messages, conversations or instruction/output)',
      });
      continue;
    }
    const messages = normalize(value, chosen);
    if (typeof messages === 'string') {
      rejected.push({ line: lineNo, reason: messages });
      continue;
    }
    if (systemPrompt && messages[0]?.role !== 'system') messages.unshift({ role: 'system', content: systemPrompt });
    const dup = index.findNearDuplicate(conversationText({ messages }));
    if (dup !== undefined) {
      nearDuplicates++;
      rejected.push({ line: lineNo, reason: `near-duplicate of line ${dup} (Jaccard ≥ 0.8)` });
      continue;
    }
    index.add(conversationText({ messages }), lineNo);
    accepted.push({ line: lineNo, messages });
  }
  if (!chosen) throw new InputError(`cannot detect the format of ${file}; pass --format openai|sharegpt|alpaca`);
  return { format: chosen, accepted, rejected, lines: lineNo, nearDuplicates };
}
