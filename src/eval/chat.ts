// A greedy chat reply through llama.cpp, with the prompt built by the model's own chat template (as Ollama and
// llama-server would build it), stopping at the end-of-turn token.

import { chatEncoderFromGguf } from '../model/chat-encoder.ts';
import type { ChatMessage } from '../model/chat-template.ts';
import { createContext, greedyGenerate, loadModel } from './llama.ts';

export interface ChatReply {
  readonly text: string;
  readonly tokens: number;
  /** True when generation ended at the end-of-turn token, not at the token limit. */
  readonly stoppedAtEndOfTurn: boolean;
}

export async function greedyChatReplies(
  modelPath: string,
  prompts: readonly (readonly ChatMessage[])[],
  o: { maxTokens?: number; threads?: number; lora?: readonly { filePath: string; scale?: number }[] } = {},
): Promise<ChatReply[]> {
  const encoder = chatEncoderFromGguf(modelPath);
  const model = await loadModel(modelPath);
  const replies: ChatReply[] = [];
  try {
    const context = await createContext(model, { contextSize: 1024, threads: o.threads, lora: o.lora });
    const sequence = context.getSequence();
    try {
      for (const messages of prompts) {
        const prompt = [
          ...(encoder.bos === undefined ? [] : [encoder.bos]),
          ...encoder.tokenize(encoder.render(messages, true)),
        ];
        const r = await greedyGenerate(sequence, prompt, o.maxTokens ?? 200);
        replies.push({
          text: model.detokenize(r.tokens as never),
          tokens: r.tokens.length,
          stoppedAtEndOfTurn: r.stopped,
        });
      }
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
  return replies;
}
