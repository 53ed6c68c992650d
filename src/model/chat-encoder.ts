// From a conversation to tokens, the way the model sees it: rendered with the model's own chat template (ChatML
// when it has none), tokenized exactly as llama.cpp does, with the assistant replies marked. Training uses the
// marks for its loss; evaluation uses them to score replies given their context.

import { InputError } from '../errors.ts';
import { GgufFile } from '../gguf/reader.ts';
import { type ChatMessage, chatTemplateOf, renderChat } from './chat-template.ts';
import { Tokenizer } from './tokenizer/tokenizer.ts';
import { vocabFromGguf } from './tokenizer/vocab.ts';

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

/** A conversation's tokens; `lossMask[i]` is 1 where token i is one the model is scored on. */
export interface EncodedConversation {
  readonly line: number;
  readonly tokens: Int32Array;
  readonly lossMask: Uint8Array;
}

/** Which tokens the loss counts: assistant replies (fine-tuning) or every token (pretraining). */
export type LossOn = 'assistant' | 'all';
export const LOSS_ON: readonly LossOn[] = ['assistant', 'all'];

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
  conversation: { readonly messages: readonly ChatMessage[] },
  line: number,
  lossOn: LossOn = 'assistant',
): EncodedConversation {
  const { messages } = conversation;
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
