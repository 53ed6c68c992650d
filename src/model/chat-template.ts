// Chat templates. Training, evaluation and the Ollama Modelfile all build prompt text with renderChat, from the
// model's own `tokenizer.chat_template` (rendered with @huggingface/jinja, as transformers would), or ChatML when
// a model has none. Every GGUF this project writes embeds the template it was trained with, so llama.cpp and
// Ollama format prompts exactly as training did.

import { Template } from '@huggingface/jinja';
import { InputError } from '../errors.ts';
import { GgufValueType } from '../gguf/constants.ts';
import type { GgufMetadata } from '../gguf/metadata.ts';

/** ChatML, as a Jinja template (the same text Qwen2 and many others ship). */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const CHATML_SPECIAL_TOKENS = ['<|im_start|>', '<|im_end|>'] as const;

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface RenderChatOptions {
  /** End with the assistant's turn opener, for generation. Default false. */
  readonly addGenerationPrompt?: boolean;
  /** A Jinja chat template; default ChatML. */
  readonly template?: string;
  /** Passed to the template as `bos_token` / `eos_token`, as transformers does. */
  readonly bosToken?: string;
  readonly eosToken?: string;
}

const compiled = new Map<string, Template>();

/** Renders a conversation to prompt text with a chat template. Template errors become one-line InputErrors. */
export function renderChat(messages: readonly ChatMessage[], options: RenderChatOptions = {}): string {
  const source = options.template ?? CHATML_TEMPLATE;
  let template = compiled.get(source);
  try {
    if (!template) {
      template = new Template(source);
      compiled.set(source, template);
    }
    return template.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt ?? false,
      bos_token: options.bosToken ?? '',
      eos_token: options.eosToken ?? '',
    });
  } catch (err) {
    throw new InputError(`chat template: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The chat template a GGUF declares (`tokenizer.chat_template`), or ChatML, with its BOS/EOS token texts. */
export function chatTemplateOf(
  md: GgufMetadata,
): Required<Pick<RenderChatOptions, 'template' | 'bosToken' | 'eosToken'>> {
  const t = md.get('tokenizer.chat_template');
  const tokens = md.get('tokenizer.ggml.tokens');
  const texts = tokens?.type === GgufValueType.ARRAY ? (tokens.value as readonly string[]) : [];
  const tokenText = (key: string) => {
    const v = md.get(key);
    return v && typeof v.value === 'number' ? (texts[v.value] ?? '') : '';
  };
  return {
    template: t?.type === GgufValueType.STRING ? (t.value as string) : CHATML_TEMPLATE,
    bosToken: tokenText('tokenizer.ggml.bos_token_id'),
    eosToken: tokenText('tokenizer.ggml.eos_token_id'),
  };
}
