import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/data/generate.ts';
import { STRATEGY_PHRASES } from '../../src/data/phrases.ts';
import { STRATEGIES } from '../../src/data/schema.ts';
import { EMPATHY_MARKERS, expandTemplate, findMarkers, measureEmpathy, scoreEmpathy } from '../../src/eval/empathy.ts';
import { heldoutPrompts } from '../../src/eval/prompts.ts';

const TINY = join(import.meta.dirname, '..', '..', 'assets', 'base', 'meetara-tiny.gguf');

describe('the empathy marker lexicon', () => {
  it('has markers for every strategy the phrase tables word', () => {
    const worded = STRATEGIES.filter((s) => Object.values(STRATEGY_PHRASES).some((v) => (v[s]?.length ?? 0) > 0));
    expect(worded.length).toBeGreaterThan(0);
    for (const s of worded) expect(EMPATHY_MARKERS[s]?.length, s).toBeGreaterThan(0);
    for (const markers of Object.values(EMPATHY_MARKERS)) {
      for (const m of markers) {
        expect(m).toBe(m.toLowerCase());
        expect(m).not.toMatch(/[[\]{}|]/);
        expect(m.split(' ').length).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('comes from the templates: an expanded opening is a marker, a slot ends it', () => {
    expect(expandTemplate('[a|b [c|d]] x {slot}[!|]')).toEqual([
      'a x {slot}!',
      'a x {slot}',
      'b c x {slot}!',
      'b c x {slot}',
      'b d x {slot}!',
      'b d x {slot}',
    ]);
    expect(EMPATHY_MARKERS.acknowledge).toContain("it sounds like you're feeling");
    expect(EMPATHY_MARKERS.acknowledge).toContain("i can hear that you're feeling really");
    expect(EMPATHY_MARKERS.validate).toContain('your feelings make sense');
    // A paraphrased wording (really → genuinely) is a marker too.
    expect(EMPATHY_MARKERS.acknowledge).toContain("i'm genuinely sorry you're dealing with");
  });

  it('finds markers case-insensitively on whole words only', () => {
    expect(findMarkers("It sounds like you're feeling anxious about work.")).toContainEqual({
      strategy: 'acknowledge',
      marker: "it sounds like you're feeling",
    });
    expect(findMarkers('The meeting is at noon.')).toEqual([]);
    expect(findMarkers('YOUR FEELINGS MAKE SENSE.')).toEqual([
      { strategy: 'validate', marker: 'your feelings make sense' },
    ]);
    expect(findMarkers('Your feelings make sensemaking easy.')).toEqual([]);
    expect(findMarkers('It sounds like’s the thing')).toEqual([]);
  });

  it('finds a marker in the first reply of every generated conversation', () => {
    // The generator opens every first reply with an acknowledgement or validation (crisis replies with a crisis
    // acknowledgement), and the lexicon finds a marker in each of these 50. Not in every reply it can write: one
    // opener, "[Hesitation|…] before {topic} is healthy", has no fixed clause of 3 words (1 of 280 first replies over
    // mental_health, healthcare, business and education at seed 0).
    const samples = generate({ domains: ['mental_health'], samplesPerDomain: 50, heldoutPerDomain: 20, seed: 0 })[0]
      ?.train as { messages: { role: string; content: string }[] }[];
    expect(samples).toHaveLength(50);
    const firstReplies = samples.map((s) => s.messages.find((m) => m.role === 'assistant')?.content ?? '');
    const missing = firstReplies.filter((r) => findMarkers(r).length === 0);
    expect(missing).toEqual([]);
    const score = scoreEmpathy(firstReplies);
    expect(score.rate).toBe(1);
    expect(score.withMarker).toBe(50);
    expect(score.byStrategy.acknowledge).toBeGreaterThan(0);
    expect(score.markersPerReply).toBeGreaterThanOrEqual(1);
  });

  it('scores replies', () => {
    const s = scoreEmpathy([
      'I hear you. Your feelings make sense. Which part of this feels hardest right now?',
      'The meeting is at noon.',
    ]);
    expect(s.replies).toBe(2);
    expect(s.withMarker).toBe(1);
    expect(s.rate).toBe(0.5);
    expect(s.markersPerReply).toBe(1.5);
    expect(s.byStrategy).toMatchObject({ acknowledge: 1, validate: 1, open_question: 1, referral: 0 });
    expect(scoreEmpathy([]).rate).toBe(0);
  });
});

describe('measureEmpathy', () => {
  it('scores the tiny model’s greedy replies to held-out prompts', async () => {
    const heldout = generate({ domains: ['mental_health'], samplesPerDomain: 10, heldoutPerDomain: 6, seed: 0 })[0]
      ?.heldout as { messages: { role: string; content: string }[] }[];
    const prompts = heldoutPrompts(heldout, 3);
    expect(prompts.map((p) => p.map((m) => m.role))).toEqual([
      ['system', 'user'],
      ['system', 'user'],
      ['system', 'user'],
    ]);
    const r = await measureEmpathy(TINY, prompts, { threads: 1, maxTokens: 48 });
    console.log(`tiny F16 empathy rate ${r.rate}, ${r.markersPerReply} markers per reply`, r.samples);
    expect(r.replies).toBe(3);
    expect(r.samples).toHaveLength(3);
    expect(r.samples.map((s) => s.prompt)).toEqual(prompts.map((p) => p[1]?.content));
    const { samples, ...score } = r;
    expect(score).toEqual(scoreEmpathy(samples.map((s) => s.reply)));
  });
});
