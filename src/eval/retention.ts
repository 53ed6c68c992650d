// Accuracy retention of a candidate model (a lite Q4_K_M, say) against a reference (the full Q8_0), the way
// llama-perplexity --kl-divergence measures it: at every scored position both models give their full next-token
// distribution, and we report how often their top tokens agree and the KL divergence of the candidate from the
// reference. The positions are exactly those heldoutPerplexity scores: the assistant reply tokens of each
// conversation, tokenized with the reference's chat template and tokenizer.

import { InputError } from '../errors.ts';
import { GgufValueType } from '../gguf/constants.ts';
import { GgufFile } from '../gguf/reader.ts';
import { chatEncoderFromGguf, encodeSample } from '../model/chat-encoder.ts';
import type { ChatMessage } from '../model/chat-template.ts';
import { createContext, type LoraSpec, loadModel, scoredNextTokenDistributions } from './llama.ts';

export interface RetentionOptions {
  readonly threads?: number;
  readonly referenceLora?: LoraSpec[];
  readonly candidateLora?: LoraSpec[];
  /** Called after each conversation. */
  readonly onSample?: (done: number) => void;
}

export interface RetentionResult {
  /** Share of scored positions where both models' most likely next token is the same (0..1). */
  readonly top1Agreement: number;
  /** KL(reference ‖ candidate) in nats, averaged over the scored positions. */
  readonly meanKl: number;
  readonly maxKl: number;
  readonly positions: number;
  readonly conversations: number;
  /** exp(mean negative log-likelihood of the true next token) over the same positions. */
  readonly referencePerplexity: number;
  readonly candidatePerplexity: number;
}

/**
 * Candidate probabilities are floored here before the log, so a token the candidate gives exactly zero probability
 * (it never does after a float softmax, but an underflow could) adds a large finite term instead of Infinity.
 */
export const KL_PROBABILITY_FLOOR = 1e-30;

/** llama.cpp's n_vocab: the length of the GGUF's token list. */
export function vocabSizeOf(path: string): number {
  const file = GgufFile.open(path);
  try {
    const tokens = file.metadata.get('tokenizer.ggml.tokens');
    if (tokens?.type !== GgufValueType.ARRAY) {
      throw new InputError(`${path}: field 'tokenizer.ggml.tokens' is missing, so the model has no vocabulary`);
    }
    return (tokens.value as ArrayLike<unknown>).length;
  } finally {
    file.close();
  }
}

/** One position's comparison: KL(p ‖ q) over the tokens with p > 0, and whether argmax p equals argmax q. */
export function compareDistributions(p: ArrayLike<number>, q: ArrayLike<number>): { kl: number; sameTop1: boolean } {
  let kl = 0;
  let topP = 0;
  let topQ = 0;
  for (let t = 0; t < p.length; t++) {
    const pt = p[t] as number;
    if (pt > 0) kl += pt * Math.log(pt / Math.max(q[t] as number, KL_PROBABILITY_FLOOR));
    if (pt > (p[topP] as number)) topP = t;
    if ((q[t] as number) > (q[topQ] as number)) topQ = t;
  }
  return { kl, sameTop1: topP === topQ };
}

export async function measureRetention(
  referencePath: string,
  candidatePath: string,
  conversations: readonly { readonly messages: readonly ChatMessage[] }[],
  o: RetentionOptions = {},
): Promise<RetentionResult> {
  const nVocab = vocabSizeOf(referencePath);
  const candidateVocab = vocabSizeOf(candidatePath);
  if (candidateVocab !== nVocab) {
    throw new InputError(
      `${candidatePath} has a vocabulary of ${candidateVocab} tokens but the reference ${referencePath} has ${nVocab}; retention compares token distributions, so both models must share one tokenizer`,
    );
  }
  if (conversations.length === 0) throw new InputError('retention needs at least one held-out conversation');
  const encoder = chatEncoderFromGguf(referencePath);
  const encoded = conversations.map((c, i) => encodeSample(encoder, c, i + 1));
  // The same context size heldoutPerplexity uses, so the reference's numbers are the ones it reports.
  const contextSize = Math.ceil(Math.max(...encoded.map((e) => e.tokens.length)) / 256) * 256;

  let positions = 0;
  let agree = 0;
  let klSum = 0;
  let maxKl = 0;
  let nllReference = 0;
  let nllCandidate = 0;
  const reference = await loadModel(referencePath);
  try {
    const candidate = await loadModel(candidatePath);
    try {
      const referenceContext = await createContext(reference, {
        contextSize,
        threads: o.threads,
        lora: o.referenceLora,
      });
      try {
        const candidateContext = await createContext(candidate, {
          contextSize,
          threads: o.threads,
          lora: o.candidateLora,
        });
        try {
          const referenceSequence = referenceContext.getSequence();
          const candidateSequence = candidateContext.getSequence();
          for (const [i, e] of encoded.entries()) {
            const tokens = Array.from(e.tokens);
            const ps = await scoredNextTokenDistributions(referenceSequence, tokens, e.lossMask, nVocab);
            const qs = await scoredNextTokenDistributions(candidateSequence, tokens, e.lossMask, nVocab);
            for (let k = 0; k < ps.length; k++) {
              const { position, probabilities: p } = ps[k] as (typeof ps)[number];
              const q = (qs[k] as (typeof qs)[number]).probabilities;
              const { kl, sameTop1 } = compareDistributions(p, q);
              klSum += kl;
              maxKl = Math.max(maxKl, kl);
              if (sameTop1) agree++;
              const next = tokens[position] as number;
              nllReference -= Math.log(p[next] as number);
              nllCandidate -= Math.log(q[next] as number);
              positions++;
            }
            o.onSample?.(i + 1);
          }
        } finally {
          await candidateContext.dispose();
        }
      } finally {
        await referenceContext.dispose();
      }
    } finally {
      await candidate.dispose();
    }
  } finally {
    await reference.dispose();
  }
  if (positions === 0) throw new InputError('the conversations have no assistant tokens to score');
  return {
    top1Agreement: agree / positions,
    meanKl: klSum / positions,
    maxKl,
    positions,
    conversations: encoded.length,
    referencePerplexity: Math.exp(nllReference / positions),
    candidatePerplexity: Math.exp(nllCandidate / positions),
  };
}
