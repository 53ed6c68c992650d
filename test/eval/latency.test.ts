import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/data/generate.ts';
import { measureLatency, percentile } from '../../src/eval/latency.ts';
import { heldoutPrompts } from '../../src/eval/prompts.ts';
import { chatEncoderFromGguf } from '../../src/model/chat-encoder.ts';

const TINY = join(import.meta.dirname, '..', '..', 'assets', 'base', 'meetara-tiny.gguf');

describe('percentile (nearest rank)', () => {
  it('picks the ceil(p/100 · n)-th smallest value', () => {
    const v = [15, 20, 35, 40, 50];
    expect(percentile(v, 5)).toBe(15);
    expect(percentile(v, 30)).toBe(20);
    expect(percentile(v, 40)).toBe(20);
    expect(percentile(v, 50)).toBe(35);
    expect(percentile(v, 95)).toBe(50);
    expect(percentile(v, 100)).toBe(50);
    expect(percentile(v, 0)).toBe(15);
    // Order does not matter, and the input is left as it was.
    const shuffled = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    expect(percentile(shuffled, 50)).toBe(3);
    expect(percentile(shuffled, 90)).toBe(6);
    expect(percentile(shuffled, 91)).toBe(9);
    expect(shuffled).toEqual([3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([], 50)).toThrow(/no values/);
    expect(() => percentile([1], 101)).toThrow(/between 0 and 100/);
  });
});

describe('measureLatency', () => {
  it('times greedy replies to held-out prompts on the tiny model', async () => {
    const heldout = generate({ domains: ['mental_health'], samplesPerDomain: 10, heldoutPerDomain: 6, seed: 0 })[0]
      ?.heldout as { messages: { role: string; content: string }[] }[];
    const prompts = heldoutPrompts(heldout, 4);
    // One thread: llama.cpp's threads spin-wait, so on 2 shared cores 2 threads can be 10x slower and flaky.
    const r = await measureLatency(TINY, prompts, { threads: 1, maxTokens: 16 });
    console.log(
      `tiny F16, 1 thread: TTFT p50 ${r.ttftMs.p50.toFixed(2)} ms, p95 ${r.ttftMs.p95.toFixed(2)} ms, ${r.tokensPerSecond.toFixed(0)} tokens/s`,
    );
    expect(r.prompts).toBe(4);
    expect(r.threads).toBe(1);
    expect(r.ttftMs.p50).toBeGreaterThan(0);
    expect(r.ttftMs.p95).toBeGreaterThanOrEqual(r.ttftMs.p50);
    expect(r.ttftMs.mean).toBeGreaterThan(0);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    expect(r.generatedTokens).toBeGreaterThan(0);
    expect(r.generatedTokens).toBeLessThanOrEqual(4 * 17);
    const encoder = chatEncoderFromGguf(TINY);
    const rendered = prompts.map(
      (p) => (encoder.bos === undefined ? 0 : 1) + encoder.tokenize(encoder.render(p, true)).length,
    );
    expect(r.promptTokens).toBe(rendered.reduce((a, b) => a + b, 0));
  });
});
