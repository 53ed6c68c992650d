// The one place node-llama-cpp is set up. llama.cpp is both our evaluator and the test oracle, so every caller
// shares this setup: CPU only, never build from source, and an explicit thread count everywhere (its default of
// 4 threads is 10-40x slower on a 2-core machine).

import { availableParallelism } from 'node:os';
import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextOptions,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';

export const defaultThreads = (): number => availableParallelism();

let engine: Promise<Llama> | undefined;

/** The shared llama.cpp engine (created once per process). */
export function llamaEngine(): Promise<Llama> {
  engine ??= getLlama({
    gpu: false,
    build: 'never',
    maxThreads: defaultThreads(),
    logLevel: 'error' as never,
    progressLogs: false,
  });
  return engine;
}

export async function loadModel(path: string): Promise<LlamaModel> {
  const llama = await llamaEngine();
  return llama.loadModel({ modelPath: path, gpuLayers: 0, useMmap: true });
}

export interface ContextOptions {
  readonly contextSize?: number;
  readonly threads?: number;
  /** LoRA adapters to apply, with their scales. */
  readonly lora?: readonly { filePath: string; scale?: number }[];
  /** F32 KV cache and no flash attention: for exact comparisons against our own forward pass. */
  readonly exact?: boolean;
  readonly batchSize?: number;
}

/** A LoRA adapter to apply on top of a model, with its scale (default 1). */
export type LoraSpec = { filePath: string; scale?: number };

export async function createContext(model: LlamaModel, o: ContextOptions = {}): Promise<LlamaContext> {
  const options: LlamaContextOptions = {
    contextSize: o.contextSize ?? 512,
    threads: o.threads ?? defaultThreads(),
    batchSize: o.batchSize,
    flashAttention: false,
    ...(o.exact ? { experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' } : {}),
    ...(o.lora?.length
      ? { lora: { adapters: o.lora.map((a) => ({ filePath: a.filePath, scale: a.scale ?? 1 })) } }
      : {}),
  };
  return model.createContext(options);
}

/** Sampling options that leave the softmax untouched (node-llama-cpp otherwise applies top-k/top-p truncation). */
const FULL_DISTRIBUTION = { temperature: 1, topK: 0, topP: 1, minP: 0 };

/**
 * Next-token probability distributions at every position of `tokens`, as llama.cpp computes them.
 * Entry i is the distribution after seeing tokens[0..i]. Returned as Float64Array of length nVocab.
 */
export async function nextTokenProbabilities(
  context: LlamaContext,
  tokens: readonly number[],
  nVocab: number,
): Promise<Float64Array[]> {
  const sequence = context.getSequence();
  try {
    const results = await sequence.controlledEvaluate(
      tokens.map((t) => [t as Token, { generateNext: { probabilities: true, options: FULL_DISTRIBUTION } }]),
    );
    return results.map((r, i) => {
      const probs = r?.next?.probabilities;
      if (!probs) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
      const out = new Float64Array(nVocab);
      for (const [tok, p] of probs) out[tok] = p;
      return out;
    });
  } finally {
    sequence.dispose();
  }
}

/** Sum of -log p(token[i+1] | tokens[..i]) over the scored positions, and the count. Perplexity = exp(nll/count). */
export async function negativeLogLikelihood(
  context: LlamaContext,
  tokens: readonly number[],
  nVocab: number,
  scoreFrom = 0,
): Promise<{ nll: number; count: number }> {
  const dists = await nextTokenProbabilities(context, tokens, nVocab);
  let nll = 0;
  let count = 0;
  for (let i = Math.max(scoreFrom, 0); i + 1 < tokens.length; i++) {
    nll -= Math.log(dists[i][tokens[i + 1]]);
    count++;
  }
  return { nll, count };
}

/**
 * Evaluates `tokens` from an empty history on `sequence`, asking llama.cpp for the full next-token distribution only
 * at the positions before a scored token (scored[i + 1] is 1). Calls `each(position, distribution)` for every scored
 * position, `position` being the scored token's index.
 */
async function evaluateScored(
  sequence: LlamaContextSequence,
  tokens: readonly number[],
  scored: ArrayLike<number>,
  each: (position: number, probabilities: Map<Token, number>) => void,
): Promise<void> {
  await sequence.clearHistory();
  const results = await sequence.controlledEvaluate(
    tokens.map((t, i) =>
      i + 1 < tokens.length && scored[i + 1]
        ? [t as Token, { generateNext: { probabilities: true, options: FULL_DISTRIBUTION } }]
        : (t as Token),
    ),
  );
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (!scored[i + 1]) continue;
    const probs = results[i]?.next?.probabilities;
    if (!probs) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
    each(i + 1, probs);
  }
}

/**
 * Sum of -log p(tokens[i] | tokens[..i]) over the positions i where `scored[i]` is 1, and their count, evaluated
 * from an empty history on `sequence`. Only those positions ask llama.cpp for a distribution.
 */
export async function scoredNegativeLogLikelihood(
  sequence: LlamaContextSequence,
  tokens: readonly number[],
  scored: ArrayLike<number>,
): Promise<{ nll: number; count: number }> {
  let nll = 0;
  let count = 0;
  await evaluateScored(sequence, tokens, scored, (position, probs) => {
    const p = probs.get(tokens[position] as Token);
    if (p === undefined) throw new Error(`llama.cpp returned no probability at position ${position - 1}`);
    nll -= Math.log(p);
    count++;
  });
  return { nll, count };
}

/** Greedy generation from prompt tokens until an end-of-generation token or `maxTokens`. */
export async function greedyGenerate(
  sequence: LlamaContextSequence,
  prompt: readonly number[],
  maxTokens: number,
): Promise<{ tokens: number[]; stopped: boolean }> {
  const { tokens, stopped } = await timedGreedyGenerate(sequence, prompt, maxTokens);
  return { tokens, stopped };
}

/**
 * The full next-token distributions at the positions i where `scored[i]` is 1: entry k holds the distribution of
 * tokens[position] given tokens[..position], as a Float64Array of length nVocab, evaluated from an empty history on
 * `sequence` exactly as scoredNegativeLogLikelihood evaluates it (only the scored positions ask for a distribution).
 */
export async function scoredNextTokenDistributions(
  sequence: LlamaContextSequence,
  tokens: readonly number[],
  scored: ArrayLike<number>,
  nVocab: number,
): Promise<{ position: number; probabilities: Float64Array }[]> {
  const out: { position: number; probabilities: Float64Array }[] = [];
  await evaluateScored(sequence, tokens, scored, (position, probs) => {
    const probabilities = new Float64Array(nVocab);
    for (const [tok, p] of probs) probabilities[tok] = p;
    out.push({ position, probabilities });
  });
  return out;
}

/**
 * greedyGenerate with a clock: `startMs` is performance.now() just before the prompt is handed to llama.cpp (after
 * the history is cleared) and `tokenMs[k]` when the k-th generated token arrived. The end-of-generation token is
 * timed too (it costs a decode like any other) but is not in `tokens`, so tokenMs has one more entry when stopped.
 */
export async function timedGreedyGenerate(
  sequence: LlamaContextSequence,
  prompt: readonly number[],
  maxTokens: number,
): Promise<{ tokens: number[]; stopped: boolean; startMs: number; tokenMs: number[] }> {
  await sequence.clearHistory();
  const model = sequence.model;
  const tokens: number[] = [];
  const tokenMs: number[] = [];
  const startMs = performance.now();
  for await (const token of sequence.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
    tokenMs.push(performance.now());
    if (model.isEogToken(token)) return { tokens, stopped: true, startMs, tokenMs };
    tokens.push(token);
    if (tokens.length >= maxTokens) return { tokens, stopped: false, startMs, tokenMs };
  }
  return { tokens, stopped: true, startMs, tokenMs };
}

export type { LlamaContext, LlamaModel };
