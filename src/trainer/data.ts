// Chat JSONL training data: parse and validate each line, render it with the model's chat template, tokenize,
// and mark which tokens the loss counts (assistant replies only, including their end-of-turn token).
//
// Assistant spans are found by rendering prefixes of the conversation: the tokens between
// render(messages[..i], add_generation_prompt) and render(messages[..i+1]) belong to assistant message i.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { GgufFile } from '../gguf/reader.ts';
import { chatTemplateOf, renderChat } from '../model/chat-template.ts';
import { Tokenizer } from '../model/tokenizer/tokenizer.ts';
import { vocabFromGguf } from '../model/tokenizer/vocab.ts';

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

/** How prompts become tokens: the model's chat template and tokenizer (src/model). */
export interface ChatEncoder {
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string;
  /** Tokens of prompt text as llama.cpp makes them with special tokens parsed, without BOS/EOS. */
  tokenize(text: string): number[];
  /** Added first / last, when the model asks for them (add_bos_token / add_eos_token). */
  readonly bos?: number;
  readonly eos?: number;
}

/** The encoder of a GGUF model: its own chat template (ChatML when it has none) and its llama.cpp tokenizer. */
export function chatEncoderFromGguf(path: string): ChatEncoder {
  const file = GgufFile.open(path);
  try {
    const tokenizer = new Tokenizer(vocabFromGguf(file.metadata, path));
    const template = chatTemplateOf(file.metadata);
    const v = tokenizer.vocab;
    return {
      render: (messages, addGenerationPrompt) => renderChat(messages, { ...template, addGenerationPrompt }),
      tokenize: (text) => tokenizer.tokenize(text, { parseSpecial: true }),
      bos: v.addBos ? v.bos : undefined,
      eos: v.addEos ? v.eos : undefined,
    };
  } finally {
    file.close();
  }
}

/** Which tokens the loss counts: assistant replies (fine-tuning) or every token (pretraining). */
export type LossOn = 'assistant' | 'all';
export const LOSS_ON: readonly LossOn[] = ['assistant', 'all'];

/** One tokenized sample: `lossMask[i]` is 1 where token i is an assistant token the model must predict. */
export interface TokenizedSample {
  readonly line: number;
  readonly tokens: Int32Array;
  readonly lossMask: Uint8Array;
  /** True when the sample was cut to the sequence length. */
  readonly truncated: boolean;
}

function startsWith(a: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > a.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

/**
 * Renders and tokenizes one conversation and marks its assistant tokens (their end-of-turn marker included, so
 * the model learns to stop; a trailing EOS after a final assistant turn counts too).
 */
export function encodeSample(
  enc: ChatEncoder,
  sample: ChatSample,
  line: number,
  lossOn: LossOn = 'assistant',
): Omit<TokenizedSample, 'truncated'> {
  const { messages } = sample;
  const body = enc.tokenize(enc.render(messages, false));
  const lead = enc.bos === undefined ? 0 : 1;
  const tokens = [...(enc.bos === undefined ? [] : [enc.bos]), ...body, ...(enc.eos === undefined ? [] : [enc.eos])];
  const lossMask = new Uint8Array(tokens.length);
  if (lossOn === 'all') return { line, tokens: Int32Array.from(tokens), lossMask: lossMask.fill(1) };
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].role !== 'assistant') continue;
    const before = enc.tokenize(enc.render(messages.slice(0, i), true));
    const after = enc.tokenize(enc.render(messages.slice(0, i + 1), false));
    if (!startsWith(body, after) || !startsWith(after, before)) {
      throw new InputError(
        `line ${line}: the chat template does not render message ${i} as a prefix of the conversation, so its assistant tokens cannot be located`,
      );
    }
    lossMask.fill(1, lead + before.length, lead + after.length);
  }
  if (enc.eos !== undefined && messages[messages.length - 1].role === 'assistant') lossMask[tokens.length - 1] = 1;
  return { line, tokens: Int32Array.from(tokens), lossMask };
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
