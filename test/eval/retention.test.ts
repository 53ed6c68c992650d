import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/data/generate.ts';
import { InputError } from '../../src/errors.ts';
import { createContext, loadModel, nextTokenProbabilities } from '../../src/eval/llama.ts';
import { heldoutPerplexity } from '../../src/eval/perplexity.ts';
import { measureRetention } from '../../src/eval/retention.ts';
import { chatEncoderFromGguf, encodeSample } from '../../src/model/chat-encoder.ts';
import { quantizeFile } from '../../src/quant/quantize-file.ts';
import { tempDir } from '../helpers/temp.ts';
import { tinyModel } from '../trainer/fixtures.ts';

const TINY = join(import.meta.dirname, '..', '..', 'assets', 'base', 'meetara-tiny.gguf');
// One llama.cpp thread: its worker threads spin-wait, so on 2 cores shared with other jobs 2 threads can run 10x slower.
const THREADS = 1;
const dir = tempDir('meetara-retention-');
const q4 = join(dir, 'tiny-q4_k_m.gguf');
const heldout = generate({ domains: ['mental_health'], samplesPerDomain: 10, heldoutPerDomain: 6, seed: 0 })[0]
  ?.heldout as { messages: { role: string; content: string }[] }[];
const conversations = heldout.slice(0, 3);

const relClose = (a: number, b: number, tol: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.abs(b));

beforeAll(async () => {
  await quantizeFile(TINY, q4, { type: 'Q4_K_M', progress: false, threads: THREADS });
});

describe('measureRetention', () => {
  it('finds a model identical to itself: every top-1 agrees and the KL divergence is zero', async () => {
    const r = await measureRetention(TINY, TINY, conversations.slice(0, 1), { threads: THREADS });
    expect(r.positions).toBeGreaterThan(0);
    expect(r.top1Agreement).toBe(1);
    expect(r.meanKl).toBeLessThan(1e-6);
    expect(r.candidatePerplexity).toBe(r.referencePerplexity);
  });

  it('measures what Q4_K_M loses against F16, over the positions heldoutPerplexity scores', async () => {
    const done: number[] = [];
    const r = await measureRetention(TINY, q4, conversations, { threads: THREADS, onSample: (n) => done.push(n) });
    console.log(
      `tiny F16 → Q4_K_M over ${r.positions} positions: top-1 ${r.top1Agreement.toFixed(4)}, mean KL ${r.meanKl.toExponential(3)} nats, max KL ${r.maxKl.toExponential(3)}, ppl ${r.referencePerplexity.toFixed(3)} → ${r.candidatePerplexity.toFixed(3)}`,
    );
    expect(done).toEqual([1, 2, 3]);
    expect(r.conversations).toBe(3);
    expect(r.meanKl).toBeGreaterThan(0);
    expect(r.maxKl).toBeGreaterThanOrEqual(r.meanKl);
    // 4-bit weights move the distributions but keep most greedy choices of this model.
    expect(r.top1Agreement).toBeGreaterThan(0.5);
    expect(r.top1Agreement).toBeLessThanOrEqual(1);
    const reference = await heldoutPerplexity(TINY, conversations, { threads: THREADS });
    expect(r.positions).toBe(reference.scoredTokens);
    relClose(r.referencePerplexity, reference.perplexity, 1e-6);
    const candidate = await heldoutPerplexity(q4, conversations, { threads: THREADS });
    relClose(r.candidatePerplexity, candidate.perplexity, 1e-6);
  });

  it('agrees with an independent recomputation from full distributions at every position', async () => {
    const conversation = conversations[0] as (typeof conversations)[number];
    const r = await measureRetention(TINY, q4, [conversation], { threads: THREADS });
    const e = encodeSample(chatEncoderFromGguf(TINY), conversation, 1);
    const tokens = Array.from(e.tokens);
    const distributions = async (path: string) => {
      const model = await loadModel(path);
      try {
        const context = await createContext(model, {
          contextSize: Math.ceil(tokens.length / 256) * 256,
          threads: THREADS,
        });
        try {
          return await nextTokenProbabilities(context, tokens, 4096);
        } finally {
          await context.dispose();
        }
      } finally {
        await model.dispose();
      }
    };
    const ps = await distributions(TINY);
    const qs = await distributions(q4);
    let kl = 0;
    let agree = 0;
    let n = 0;
    for (let i = 1; i < tokens.length; i++) {
      if (!e.lossMask[i]) continue;
      const p = ps[i - 1] as Float64Array;
      const q = qs[i - 1] as Float64Array;
      let argP = 0;
      let argQ = 0;
      for (let t = 0; t < p.length; t++) {
        if (p[t] > 0) kl += p[t] * (Math.log(p[t]) - Math.log(Math.max(q[t], 1e-30)));
        if (p[t] > p[argP]) argP = t;
        if (q[t] > q[argQ]) argQ = t;
      }
      if (argP === argQ) agree++;
      n++;
    }
    expect(r.positions).toBe(n);
    relClose(r.meanKl, kl / n, 1e-9);
    relClose(r.top1Agreement, agree / n, 1e-9);
  });

  it('refuses two models whose vocabularies differ', async () => {
    const other = await tinyModel(dir, 'vocab-512.gguf');
    await expect(measureRetention(TINY, other, conversations)).rejects.toThrow(InputError);
    await expect(measureRetention(TINY, other, conversations)).rejects.toThrow(/512 tokens.*4096/);
  });
});
