// Latency of a model as llama.cpp serves it on this machine: time to first token (prompt processing plus the first
// decode) and the decode rate after it, over greedy replies to chat prompts built with the model's own template.

import { InputError } from '../errors.ts';
import { chatEncoderFromGguf } from '../model/chat-encoder.ts';
import type { ChatMessage } from '../model/chat-template.ts';
import { createContext, defaultThreads, type LoraSpec, loadModel, timedGreedyGenerate } from './llama.ts';

export interface LatencyOptions {
  readonly lora?: LoraSpec[];
  readonly threads?: number;
  /** Most tokens generated per prompt (default 32). */
  readonly maxTokens?: number;
}

export interface LatencyResult {
  /** Prompts timed (the warm-up is not counted). */
  readonly prompts: number;
  readonly threads: number;
  /** Time to first token in milliseconds, per prompt: nearest-rank percentiles and the mean. */
  readonly ttftMs: { readonly p50: number; readonly p95: number; readonly mean: number };
  /**
   * Tokens generated after each prompt's first, divided by the time from its first to its last token, both summed
   * over prompts. NaN when no prompt generated a second token.
   */
  readonly tokensPerSecond: number;
  /** Tokens the model generated, its end-of-turn tokens included (each costs a decode). */
  readonly generatedTokens: number;
  /** Tokens of the rendered prompts (BOS included when the model adds one). */
  readonly promptTokens: number;
}

/**
 * The nearest-rank percentile: the smallest value with at least p% of the values at or below it, i.e. the
 * ceil(p/100 · n)-th smallest (the smallest value for p = 0). Always one of the values, never interpolated.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new InputError('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new InputError(`percentile must be between 0 and 100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export async function measureLatency(
  modelPath: string,
  prompts: readonly (readonly ChatMessage[])[],
  o: LatencyOptions = {},
): Promise<LatencyResult> {
  if (prompts.length === 0) throw new InputError('latency needs at least one prompt');
  const maxTokens = o.maxTokens ?? 32;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new InputError(`maxTokens must be a positive integer, got ${maxTokens}`);
  }
  const threads = o.threads ?? defaultThreads();
  const encoder = chatEncoderFromGguf(modelPath);
  const encoded = prompts.map((messages) => [
    ...(encoder.bos === undefined ? [] : [encoder.bos]),
    ...encoder.tokenize(encoder.render(messages, true)),
  ]);
  const longest = Math.max(...encoded.map((t) => t.length));
  const ttft: number[] = [];
  let decodeTokens = 0;
  let decodeMs = 0;
  let generatedTokens = 0;
  const model = await loadModel(modelPath);
  try {
    const context = await createContext(model, {
      contextSize: Math.ceil((longest + maxTokens + 1) / 256) * 256,
      threads,
      lora: o.lora,
    });
    try {
      const sequence = context.getSequence();
      // Warm-up, untimed: the first evaluation pays for allocating buffers and faulting in the mmapped weights.
      await timedGreedyGenerate(sequence, encoded[0] as number[], maxTokens);
      for (const prompt of encoded) {
        const r = await timedGreedyGenerate(sequence, prompt, maxTokens);
        const first = r.tokenMs[0];
        const last = r.tokenMs[r.tokenMs.length - 1];
        if (first === undefined || last === undefined) throw new Error('llama.cpp generated no token');
        ttft.push(first - r.startMs);
        generatedTokens += r.tokenMs.length;
        decodeTokens += r.tokenMs.length - 1;
        decodeMs += last - first;
      }
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
  return {
    prompts: encoded.length,
    threads,
    ttftMs: {
      p50: percentile(ttft, 50),
      p95: percentile(ttft, 95),
      mean: ttft.reduce((s, t) => s + t, 0) / ttft.length,
    },
    tokensPerSecond: decodeTokens > 0 ? decodeTokens / (decodeMs / 1000) : Number.NaN,
    generatedTokens,
    promptTokens: encoded.reduce((s, t) => s + t.length, 0),
  };
}
