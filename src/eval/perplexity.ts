// Held-out perplexity as llama.cpp computes it: each conversation is rendered with the model's chat template and
// tokenized exactly as llama.cpp does; the score is exp(mean negative log-likelihood) over the assistant reply
// tokens (their end-of-turn marker included), each given everything before it.

import { chatEncoderFromGguf, encodeSample } from '../model/chat-encoder.ts';
import type { ChatMessage } from '../model/chat-template.ts';
import { createContext, loadModel, scoredNegativeLogLikelihood } from './llama.ts';

export interface PerplexityOptions {
  /** LoRA adapters applied on top of the model. */
  readonly lora?: readonly { filePath: string; scale?: number }[];
  readonly threads?: number;
  /** Called after each conversation. */
  readonly onSample?: (done: number) => void;
}

export interface PerplexityResult {
  readonly perplexity: number;
  /** Mean negative log-likelihood per scored token (nats). */
  readonly meanNll: number;
  readonly scoredTokens: number;
  readonly conversations: number;
}

export async function heldoutPerplexity(
  modelPath: string,
  conversations: readonly { readonly messages: readonly ChatMessage[] }[],
  o: PerplexityOptions = {},
): Promise<PerplexityResult> {
  const encoder = chatEncoderFromGguf(modelPath);
  const encoded = conversations.map((c, i) => encodeSample(encoder, c, i + 1));
  const longest = Math.max(...encoded.map((e) => e.tokens.length));
  const model = await loadModel(modelPath);
  let nll = 0;
  let count = 0;
  try {
    const context = await createContext(model, {
      contextSize: Math.ceil(longest / 256) * 256,
      threads: o.threads,
      lora: o.lora,
    });
    const sequence = context.getSequence();
    try {
      for (const [i, e] of encoded.entries()) {
        const r = await scoredNegativeLogLikelihood(sequence, Array.from(e.tokens), e.lossMask);
        nll += r.nll;
        count += r.count;
        o.onSample?.(i + 1);
      }
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
  return {
    perplexity: Math.exp(nll / count),
    meanNll: nll / count,
    scoredTokens: count,
    conversations: encoded.length,
  };
}
