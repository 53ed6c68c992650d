// Chat JSONL training data: parse and validate each line, render it with the model's chat template, tokenize,
// and mark which tokens the loss counts (assistant replies only, including their end-of-turn token).
//
// Assistant spans are found by rendering prefixes of the conversation: the tokens between
// render(messages[..i], add_generation_prompt) and render(messages[..i+1]) belong to assistant message i.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { type ChatEncoder, type EncodedConversation, encodeSample, type LossOn } from '../model/chat-encoder.ts';

/** One message of a training conversation. */
export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** One line of chat JSONL. */
export const ChatSampleSchema = z.object({
  messages: z
    .array(ChatMessageSchema)
    .min(1)
    .refine((m) => m.some((x) => x.role === 'assistant'), 'needs at least one assistant message'),
});
export type ChatSample = z.infer<typeof ChatSampleSchema>;

export interface BadLine {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedJsonl {
  readonly samples: { readonly line: number; readonly sample: ChatSample }[];
  readonly bad: BadLine[];
}

function describeIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${path.replace(/^\./, '') || 'line'}: ${issue.message}`;
}

/**
 * Parses chat JSONL text. Blank lines are skipped; every other line must be one valid sample. Bad lines are
 * collected with their 1-based line numbers, or thrown at once under `strict`.
 */
export function parseChatJsonl(text: string, file: string, strict = false): ParsedJsonl {
  const samples: { line: number; sample: ChatSample }[] = [];
  const bad: BadLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    let reason: string | undefined;
    try {
      const parsed = ChatSampleSchema.safeParse(JSON.parse(raw));
      if (parsed.success) samples.push({ line: i + 1, sample: parsed.data });
      else reason = describeIssue(parsed.error);
    } catch (err) {
      reason = `not valid JSON (${(err as Error).message})`;
    }
    if (reason !== undefined) {
      if (strict) throw new InputError(`${file} line ${i + 1}: ${reason} (--strict makes every bad line fatal)`);
      bad.push({ line: i + 1, reason });
    }
  }
  return { samples, bad };
}

export function readChatJsonl(file: string, strict = false): ParsedJsonl {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read data file '${file}': ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const parsed = parseChatJsonl(text, file, strict);
  if (parsed.samples.length === 0) {
    const first = parsed.bad[0];
    throw new InputError(
      `${file}: no valid samples${first ? ` (${parsed.bad.length} bad lines, first at line ${first.line}: ${first.reason})` : ' (the file is empty)'}; each line must be {"messages":[{"role":"user","content":...},{"role":"assistant","content":...}]}`,
    );
  }
  return parsed;
}

/** One tokenized sample: `lossMask[i]` is 1 where token i is a token the model must predict. */
export interface TokenizedSample extends EncodedConversation {
  /** True when the sample was cut to the sequence length. */
  readonly truncated: boolean;
}

export interface EncodedData {
  readonly samples: TokenizedSample[];
  readonly bad: BadLine[];
  /** Samples longer than the sequence length, cut to fit. */
  readonly truncated: number;
  /** Samples with no assistant token left to learn from (e.g. after truncation); dropped. */
  readonly empty: number;
  readonly tokens: number;
  readonly lossTokens: number;
}

/**
 * Loads, validates and tokenizes a chat JSONL file. A sample longer than `seqLen` tokens is truncated and
 * counted, or rejected under `strict`.
 */
export function loadChatData(
  file: string,
  enc: ChatEncoder,
  seqLen: number,
  strict = false,
  lossOn: LossOn = 'assistant',
): EncodedData {
  const parsed = readChatJsonl(file, strict);
  const samples: TokenizedSample[] = [];
  let truncated = 0;
  let empty = 0;
  let tokens = 0;
  let lossTokens = 0;
  for (const { line, sample } of parsed.samples) {
    const s = encodeSample(enc, sample, line, lossOn);
    const long = s.tokens.length > seqLen;
    if (long && strict) {
      throw new InputError(
        `${file} line ${line}: sample is ${s.tokens.length} tokens, longer than --seq-len ${seqLen} (raise --seq-len, or drop --strict to truncate)`,
      );
    }
    const t = long ? s.tokens.slice(0, seqLen) : s.tokens;
    const m = long ? s.lossMask.slice(0, seqLen) : s.lossMask;
    // The first token is never predicted (nothing precedes it).
    const learnable = m.subarray(1).reduce((a, b) => a + b, 0);
    if (long) truncated++;
    if (learnable === 0) {
      empty++;
      continue;
    }
    samples.push({ line, tokens: t, lossMask: m, truncated: long });
    tokens += t.length;
    lossTokens += learnable;
  }
  if (samples.length === 0) {
    throw new InputError(`${file}: no sample has an assistant token within --seq-len ${seqLen} (raise --seq-len)`);
  }
  return { samples, bad: parsed.bad, truncated, empty, tokens, lossTokens };
}
