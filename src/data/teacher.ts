// Optional teacher generation: a real model (any GGUF llama.cpp runs) rewrites each templated assistant reply in
// its own words, one sample at a time. Output is constrained by a JSON-schema grammar, so it is always parseable
// JSON, and every rewrite passes the same quality filter as templated data; a rejected rewrite keeps the
// templated reply and is reported.

import { LlamaChatSession } from 'node-llama-cpp';
import { createContext, llamaEngine, loadModel } from '../eval/llama.ts';
import { conversationText, type GeneratedMessage, type GeneratedSample } from './generate.ts';
import { NearDuplicateIndex, words } from './metrics.ts';

/** What the teacher must return: {"reply": "..."}, at most `maxChars` characters, so generation always ends. */
export function teacherSchema(maxChars: number) {
  return {
    type: 'object',
    properties: { reply: { type: 'string', minLength: 1, maxLength: maxChars } },
    required: ['reply'],
    additionalProperties: false,
  } as const;
}

const INSTRUCTIONS =
  'You rewrite replies of an empathetic assistant. Keep the meaning, the advice and any safety referral, ' +
  'use natural warm wording, and answer only with JSON: {"reply": "..."}.';

export interface TeacherOptions {
  readonly model: string;
  readonly threads?: number;
  /** Longest reply in characters (default 600); generation may take up to maxChars + 32 tokens. */
  readonly maxChars?: number;
  readonly seed?: number;
  /** Called after each sample, for progress. */
  readonly onSample?: (done: number) => void;
}

export interface TeacherResult {
  readonly samples: GeneratedSample[];
  readonly rewritten: number;
  readonly rejected: { readonly index: number; readonly reason: string }[];
}

/** Why a teacher rewrite is unusable, or undefined: the same rules templated replies follow, plus safety. */
export function rejectRewrite(
  original: string,
  rewrite: string,
  crisis: boolean,
  crisisReferral?: string,
): string | undefined {
  if (words(rewrite).length < 6) return 'rewrite shorter than 6 words';
  if (/[{}[\]]/.test(rewrite)) return 'rewrite contains placeholder brackets';
  const sentences = rewrite.split(/(?<=[.?!])\s+/);
  if (new Set(sentences).size < sentences.length) return 'a sentence repeats in the rewrite';
  if (crisis && crisisReferral && !rewrite.includes(crisisReferral))
    return 'crisis rewrite dropped the crisis referral';
  if (rewrite.trim() === original.trim()) return 'rewrite identical to the original';
  return undefined;
}

/** Rewrites the assistant turns of `samples` with the teacher model. */
export async function rewriteWithTeacher(
  samples: readonly GeneratedSample[],
  crisisReferral: (domain: string) => string | undefined,
  o: TeacherOptions,
): Promise<TeacherResult> {
  const llama = await llamaEngine();
  const model = await loadModel(o.model);
  const context = await createContext(model, { contextSize: 2048, threads: o.threads });
  const maxChars = o.maxChars ?? 600;
  const grammar = await llama.createGrammarForJsonSchema(teacherSchema(maxChars));
  const seen = new NearDuplicateIndex();
  const out: GeneratedSample[] = [];
  const rejected: { index: number; reason: string }[] = [];
  let rewritten = 0;
  try {
    for (const [index, sample] of samples.entries()) {
      const messages: GeneratedMessage[] = [];
      for (const m of sample.messages) {
        if (m.role !== 'assistant') {
          messages.push(m);
          continue;
        }
        const sequence = context.getSequence();
        const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: INSTRUCTIONS });
        let reason: string | undefined;
        let reply = m.content;
        try {
          const raw = await session.prompt(`Rewrite this reply:\n${m.content}`, {
            grammar,
            maxTokens: maxChars + 32,
            seed: o.seed ?? 0,
          });
          // The grammar guarantees the JSON; node-llama-cpp's own parse() would also re-check maxLength in UTF-16
          // units, which disagrees with the grammar's characters on text outside the BMP.
          const parsed = JSON.parse(raw) as { reply: string };
          reason = rejectRewrite(m.content, parsed.reply, sample.crisis, crisisReferral(sample.domain));
          if (!reason) reply = parsed.reply.trim();
        } catch (err) {
          reason = `teacher output not usable: ${(err as Error).message.split('\n')[0]}`;
        } finally {
          session.dispose();
          sequence.dispose();
        }
        if (reason) rejected.push({ index, reason });
        else rewritten++;
        messages.push({ role: 'assistant', content: reply });
      }
      // A rewritten conversation that became a near-duplicate of an earlier one falls back to the templated one.
      let kept: GeneratedSample = { ...sample, messages };
      if (seen.findNearDuplicate(conversationText(kept)) !== undefined) {
        rejected.push({ index, reason: 'rewrite made the conversation a near-duplicate (Jaccard ≥ 0.8)' });
        kept = sample;
      }
      seen.add(conversationText(kept), index);
      out.push(kept);
      o.onSample?.(index + 1);
    }
  } finally {
    await context.dispose();
    await model.dispose();
  }
  return { samples: out, rewritten, rejected };
}
