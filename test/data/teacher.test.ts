// The teacher plumbing on a small random model: every reply it writes is constrained by the JSON-schema grammar, so
// it always parses, and every rewrite goes through the quality filter (here a random model's text is mostly
// rejected, and the templated reply is kept).

import { describe, expect, it } from 'vitest';
import { generate } from '../../src/data/generate.ts';
import { rejectRewrite, rewriteWithTeacher } from '../../src/data/teacher.ts';
import { tempDir } from '../helpers/temp.ts';
import { tinyModel } from '../trainer/fixtures.ts';

const dir = tempDir('meetara-teacher-');

describe('teacher rewrites', () => {
  it('always gets grammar-valid JSON from the model, and filters every rewrite', async () => {
    const model = await tinyModel(dir);
    const [data] = generate({ domains: ['legal'], samplesPerDomain: 4, heldoutPerDomain: 1, seed: 3 });
    const samples = data?.train ?? [];
    const r = await rewriteWithTeacher(samples, () => data?.domain.crisis_referral, {
      model,
      maxChars: 48,
      threads: 2,
    });
    expect(r.samples).toHaveLength(samples.length);
    const turns = samples.reduce((n, s) => n + s.messages.filter((m) => m.role === 'assistant').length, 0);
    expect(r.rewritten + r.rejected.filter((x) => !x.reason.includes('near-duplicate')).length).toBe(turns);
    // The grammar guarantees parseable JSON: no rejection is a parse failure, only filter verdicts.
    for (const x of r.rejected) expect(x.reason).not.toMatch(/not usable/);
    // A rejected rewrite keeps the templated reply.
    r.samples.forEach((s, i) => {
      const original = samples[i]?.messages ?? [];
      s.messages.forEach((m, j) => {
        if (m.role !== 'assistant') expect(m).toEqual(original[j]);
      });
    });
  }, 120_000);

  it('applies the same rules as templated data, plus keeping the crisis line', () => {
    const original = 'That sounds hard. Please call your local emergency number now.';
    expect(rejectRewrite(original, 'too short', false)).toMatch(/shorter than 6 words/);
    expect(rejectRewrite(original, 'Fill in {slot} here for the user please.', false)).toMatch(/placeholder/);
    expect(rejectRewrite(original, 'I hear you. I hear you. Let us get help now please.', false)).toMatch(/repeats/);
    expect(rejectRewrite(original, 'That is hard, and I am here with you right now.', true, 'Call 911 now.')).toMatch(
      /crisis referral/,
    );
    expect(rejectRewrite(original, original, false)).toMatch(/identical/);
    expect(
      rejectRewrite(original, 'That sounds really hard; please call your local emergency number now.', false),
    ).toBe(undefined);
  });
});
