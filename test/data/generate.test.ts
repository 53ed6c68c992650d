// The generator's acceptance: for every one of the 62 domains, 300 samples are diverse (distinct-2 ≥ 0.35 over
// assistant turns), rarely near-duplicates (≤ 2% of candidates), emotionally varied (≥ 16 of 32 labels) and use
// every strategy; train and held-out never share a situation template; output is deterministic per seed.

import { describe, expect, it } from 'vitest';
import { catalog, resolveDomains } from '../../src/data/catalog.ts';
import { type DomainData, generate } from '../../src/data/generate.ts';
import { distinctN } from '../../src/data/metrics.ts';
import { CATEGORIES, EMOTIONS, STRATEGIES } from '../../src/data/schema.ts';

const EXPECTED: Record<string, string[]> = {
  healthcare: [
    'general_health',
    'mental_health',
    'nutrition',
    'fitness',
    'sleep',
    'stress_management',
    'preventive_care',
    'chronic_conditions',
    'medication_management',
    'emergency_care',
    'women_health',
    'senior_health',
  ],
  daily_life: [
    'parenting',
    'relationships',
    'personal_assistant',
    'communication',
    'home_management',
    'shopping',
    'planning',
    'transportation',
    'time_management',
    'decision_making',
    'conflict_resolution',
    'work_life_balance',
  ],
  business: [
    'entrepreneurship',
    'marketing',
    'sales',
    'customer_service',
    'project_management',
    'team_leadership',
    'financial_planning',
    'operations',
    'hr_management',
    'strategy',
    'consulting',
    'legal_business',
  ],
  education: [
    'academic_tutoring',
    'skill_development',
    'career_guidance',
    'exam_preparation',
    'language_learning',
    'research_assistance',
    'study_techniques',
    'educational_technology',
  ],
  creative: [
    'writing',
    'storytelling',
    'content_creation',
    'social_media',
    'design_thinking',
    'photography',
    'music',
    'art_appreciation',
  ],
  technology: ['programming', 'ai_ml', 'cybersecurity', 'data_analysis', 'tech_support', 'software_development'],
  specialized: ['legal', 'financial', 'scientific_research', 'engineering'],
};

const assistantTurns = (d: DomainData) =>
  d.train.flatMap((s) => s.messages.filter((m) => m.role === 'assistant').map((m) => m.content));

describe('the domain catalog', () => {
  it('has the 62 domains in 7 categories, as named in the original configuration', () => {
    const byCategory: Record<string, string[]> = {};
    for (const d of catalog().values()) {
      byCategory[d.category] ??= [];
      byCategory[d.category]?.push(d.name);
    }
    expect(Object.keys(byCategory)).toEqual([...CATEGORIES]);
    expect(byCategory).toEqual(EXPECTED);
    expect(catalog().size).toBe(62);
  });

  it("resolves the original guide's names: healthcare, business and education name their general domains", () => {
    expect(resolveDomains('healthcare,mental_health,business,education')).toEqual([
      'general_health',
      'mental_health',
      'entrepreneurship',
      'academic_tutoring',
    ]);
    expect(resolveDomains('category:technology')).toEqual(EXPECTED.technology);
  });

  it('marks the listed safety-critical domains and gives each a crisis referral', () => {
    for (const name of ['mental_health', 'emergency_care', 'medication_management', 'legal', 'financial']) {
      const d = catalog().get(name);
      expect(d?.safety_critical, name).toBe(true);
      expect(d?.crisis_referral, name).toBeTruthy();
    }
  });
});

describe('generated data, 300 samples for each of the 62 domains', () => {
  const all = generate({ domains: [...catalog().keys()], samplesPerDomain: 300, seed: 0 });

  it.each(all.map((d) => [d.domain.name, d] as const))('%s meets the diversity bar', (_, d) => {
    expect(d.train).toHaveLength(300);
    expect(distinctN(assistantTurns(d), 2)).toBeGreaterThanOrEqual(0.35);
    expect(d.nearDuplicates / d.generated).toBeLessThanOrEqual(0.02);
    expect(new Set(d.train.map((s) => s.emotion)).size).toBeGreaterThanOrEqual(16);
    expect(new Set(d.train.flatMap((s) => s.strategies))).toEqual(new Set(STRATEGIES));
  });

  it('never shares a situation template between train and held-out', () => {
    for (const d of all) {
      const held = new Set(d.heldoutSituations);
      expect(held.size).toBeGreaterThan(0);
      for (const s of d.train) expect(held.has(s.situation), d.domain.name).toBe(false);
      for (const s of d.heldout) expect(held.has(s.situation), d.domain.name).toBe(true);
    }
  });

  it('writes well-formed conversations: system, then user and assistant turns alternating, 1 to 3 user turns', () => {
    for (const d of all) {
      for (const s of [...d.train, ...d.heldout]) {
        const roles = s.messages.map((m) => m.role);
        expect(roles[0]).toBe('system');
        const turns = roles.slice(1);
        expect(turns.length % 2).toBe(0);
        expect(turns.length / 2).toBeGreaterThanOrEqual(1);
        expect(turns.length / 2).toBeLessThanOrEqual(3);
        turns.forEach((r, i) => {
          expect(r).toBe(i % 2 === 0 ? 'user' : 'assistant');
        });
        expect(EMOTIONS).toContain(s.emotion);
        for (const m of s.messages) expect(m.content).not.toMatch(/[{}[\]]|undefined|\s{2}/);
      }
    }
  });

  it('gives safety-critical domains crisis samples whose replies escalate: the crisis line or escalation advice', () => {
    const asPattern = (text: string) =>
      new RegExp(text.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[a-z_]+\}/g, '.+'));
    for (const d of all) {
      const crises = d.train.filter((s) => s.crisis);
      if (!d.domain.safety_critical) {
        expect(crises, d.domain.name).toHaveLength(0);
        continue;
      }
      expect(crises.length / d.train.length).toBeGreaterThanOrEqual(0.09);
      let withLine = 0;
      for (const s of crises) {
        const reply = s.messages.at(-1)?.content ?? '';
        const situation = d.domain.situations[s.situation];
        expect(situation?.crisis).toBe(true);
        // The situation's advice for a crisis is escalation-only (the catalog's rule), and a reply always carries one.
        expect(situation?.advice.some((a) => asPattern(a).test(reply))).toBe(true);
        if (reply.includes(d.domain.crisis_referral as string)) withLine++;
        expect(s.strategies).toContain('referral');
      }
      expect(withLine).toBeGreaterThan(0);
    }
  });
});

describe('generator determinism', () => {
  const run = (domains: string[], seed: number) => generate({ domains, samplesPerDomain: 40, seed });

  it('gives the same data for the same seed, and different data for another', () => {
    expect(run(['sleep', 'legal'], 7)).toEqual(run(['sleep', 'legal'], 7));
    expect(JSON.stringify(run(['sleep'], 7))).not.toBe(JSON.stringify(run(['sleep'], 8)));
  });

  it('gives a domain the same data whichever other domains are generated with it', () => {
    expect(run(['legal'], 3)[0]).toEqual(run(['sleep', 'legal'], 3)[1]);
  });

  it('refuses a non-positive sample count and unknown domains with a suggestion', () => {
    expect(() => generate({ domains: ['sleep'], samplesPerDomain: 0 })).toThrow(/--samples must be a positive integer/);
    expect(() => generate({ domains: ['general_helth'], samplesPerDomain: 5 })).toThrow(
      /unknown domain "general_helth"; did you mean "general_health"\?/,
    );
  });
});
