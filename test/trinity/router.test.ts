import { describe, expect, it } from 'vitest';
import { catalog } from '../../src/data/catalog.ts';
import { generate } from '../../src/data/generate.ts';
import { buildRouter, RouterSchema, route, routingAccuracy, terms } from '../../src/trinity/router.ts';

describe('the TF-IDF domain router', () => {
  it('splits text into words and word pairs', () => {
    expect(terms('Blood pressure, high!')).toEqual(['blood', 'pressure', 'high', 'blood pressure', 'pressure high']);
  });

  it('routes hand-made cases to the domain whose words they share', () => {
    const r = buildRouter([
      { name: 'sleep', texts: ['insomnia bedtime nap melatonin sleep schedule'] },
      { name: 'sales', texts: ['quota pipeline prospect cold call close the deal'] },
    ]);
    expect(route(r, 'I keep missing my quota and my pipeline is empty').domain).toBe('sales');
    expect(route(r, 'my bedtime keeps slipping and I have insomnia').domain).toBe('sleep');
    expect(RouterSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('routes held-out user turns of four domains from catalog words and training turns, measured', () => {
    const names = ['general_health', 'mental_health', 'entrepreneurship', 'academic_tutoring'];
    const data = generate({ domains: names, samplesPerDomain: 100, heldoutPerDomain: 30, seed: 2 });
    const router = buildRouter(
      data.map((d) => {
        const c = catalog().get(d.domain.name);
        return {
          name: d.domain.name,
          texts: [
            ...(c?.keywords ?? []),
            ...(c?.vocabulary ?? []),
            c?.description ?? '',
            ...d.train.map((s) => s.messages[1]?.content ?? ''),
          ],
        };
      }),
    );
    const heldout = data.flatMap((d) =>
      d.heldout.map((s) => ({ text: s.messages[1]?.content ?? '', domain: d.domain.name })),
    );
    const acc = routingAccuracy(router, heldout);
    expect(acc.total).toBe(120);
    // Held-out situations are unseen templates; well above chance (0.25) is the bar.
    expect(acc.rate).toBeGreaterThan(0.7);
  });
});
