// The conversation generator: multi-turn empathetic chats per domain, from the catalog's situations and the
// phrase grammar. Deterministic for a seed (each domain draws from its own stream, so a domain's data does not
// depend on which other domains were asked for). Situations are split into train and held-out by template, so
// held-out perplexity measures unseen situations.

import { InputError } from '../errors.ts';
import { Rng } from '../util/random.ts';
import { type CatalogDomain, domainByName } from './catalog.ts';
import { type Fillers, fillSlots, lowerFirst, pick, realize } from './grammar.ts';
import { fnv1a, NearDuplicateIndex } from './metrics.ts';
import { paraphrase } from './paraphrase.ts';
import {
  CRISIS_PHRASES,
  EMOTION_ACKNOWLEDGEMENTS,
  EMOTION_WORDS,
  FOLLOWUP_OPENERS,
  GENERIC_FOLLOW_UPS,
  STRATEGY_PHRASES,
  secondPerson,
  USER_ASKS,
  USER_FEELING,
  USER_OPENERS,
} from './phrases.ts';
import type { Emotion, Situation, Strategy } from './schema.ts';

export interface GeneratedMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One line of generated chat JSONL. */
export interface GeneratedSample {
  readonly messages: GeneratedMessage[];
  readonly domain: string;
  readonly category: string;
  readonly emotion: Emotion;
  readonly strategies: Strategy[];
  readonly crisis: boolean;
  /** Index of the catalog situation (template) this sample came from. */
  readonly situation: number;
}

export interface Rejection {
  /** Position in the generated stream (0-based). */
  readonly index: number;
  readonly reason: string;
}

export interface DomainData {
  readonly domain: CatalogDomain;
  readonly train: GeneratedSample[];
  readonly heldout: GeneratedSample[];
  readonly heldoutSituations: number[];
  /** Samples the quality filter dropped, from both splits' streams. */
  readonly rejected: Rejection[];
  /** Candidates generated in total (kept + rejected). */
  readonly generated: number;
  readonly nearDuplicates: number;
}

export interface GenerateOptions {
  readonly domains: readonly string[];
  readonly samplesPerDomain: number;
  /** Held-out samples per domain (default: 10% of samplesPerDomain, at least 20). */
  readonly heldoutPerDomain?: number;
  readonly seed?: number;
}

/** Share of a safety-critical domain's samples drawn from crisis situations. */
export const CRISIS_SHARE = 0.1;
/** Every HELDOUT_EVERY-th situation (by catalog order) is held out. */
export const HELDOUT_EVERY = 5;

/** Situation indices held out of training: every 5th, so each split spans the whole catalog list. */
export function heldoutSituations(domain: CatalogDomain): number[] {
  return domain.situations.flatMap((_, i) => (i % HELDOUT_EVERY === HELDOUT_EVERY - 1 ? [i] : []));
}

export function defaultHeldoutCount(samplesPerDomain: number): number {
  return Math.max(20, Math.round(samplesPerDomain / 10));
}

/** Generates every requested domain. */
export function generate(options: GenerateOptions): DomainData[] {
  const n = options.samplesPerDomain;
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`--samples must be a positive integer, got ${n}`);
  const domains = options.domains.map(domainByName);
  const heldout = options.heldoutPerDomain ?? defaultHeldoutCount(n);
  return domains.map((d) => generateDomain(d, n, heldout, options.seed ?? 0));
}

export function generateDomain(domain: CatalogDomain, n: number, nHeldout: number, seed: number): DomainData {
  const held = new Set(heldoutSituations(domain));
  const all = domain.situations.map((s, i) => ({ s, i }));
  const rejected: Rejection[] = [];
  let generated = 0;
  let nearDuplicates = 0;
  const run = (split: 'train' | 'heldout', count: number): GeneratedSample[] => {
    const pool = all.filter(({ i }) => held.has(i) === (split === 'heldout'));
    const rng = new Rng((seed ^ fnv1a(`${domain.name}/${split}`)) >>> 0);
    const index = new NearDuplicateIndex();
    const kept: GeneratedSample[] = [];
    for (let attempt = 0; kept.length < count && attempt < count * 4; attempt++) {
      const sample = generateSample(rng, domain, pool, kept.length);
      const streamIndex = generated++;
      const bad = degenerate(sample);
      if (bad) {
        rejected.push({ index: streamIndex, reason: `${split}: ${bad}` });
        continue;
      }
      const dup = index.findNearDuplicate(conversationText(sample));
      if (dup !== undefined) {
        nearDuplicates++;
        rejected.push({ index: streamIndex, reason: `${split}: near-duplicate of sample ${dup} (Jaccard ≥ 0.8)` });
        continue;
      }
      index.add(conversationText(sample), kept.length);
      kept.push(sample);
    }
    return kept;
  };
  const train = run('train', n);
  const heldout = run('heldout', nHeldout);
  return { domain, train, heldout, heldoutSituations: [...held], rejected, generated, nearDuplicates };
}

/** User and assistant text of a sample (the system prompt is the same for every sample of a domain). */
export function conversationText(sample: { messages: readonly GeneratedMessage[] }): string {
  return sample.messages
    .filter((m) => m.role !== 'system')
    .map((m) => m.content)
    .join('\n');
}

/** Why a sample is unusable, or undefined. */
function degenerate(sample: GeneratedSample): string | undefined {
  for (const m of sample.messages) {
    if (/[{}[\]]/.test(m.content)) return `unfilled placeholder in ${m.role} turn: "${m.content.slice(0, 60)}"`;
    if (m.role === 'assistant' && m.content.split(/\s+/).length < 6) return 'assistant turn shorter than 6 words';
  }
  const sentences = sample.messages.flatMap((m) => (m.role === 'assistant' ? m.content.split(/(?<=[.?!])\s+/) : []));
  if (new Set(sentences).size < sentences.length) return 'a sentence repeats within the conversation';
  return undefined;
}

function generateSample(
  rng: Rng,
  domain: CatalogDomain,
  pool: readonly { s: Situation; i: number }[],
  k: number,
): GeneratedSample {
  // Crisis samples are spread evenly: sample k is a crisis when the running share falls behind CRISIS_SHARE.
  const crisisPool = pool.filter(({ s }) => s.crisis);
  const wantCrisis =
    domain.safety_critical &&
    crisisPool.length > 0 &&
    Math.floor((k + 1) * CRISIS_SHARE) > Math.floor(k * CRISIS_SHARE);
  const candidates = wantCrisis ? crisisPool : pool.filter(({ s }) => !s.crisis);
  const { s: situation, i: situationIndex } = pick(rng, candidates.length > 0 ? candidates : pool);
  const emotion = pick(rng, situation.emotions);
  const words = EMOTION_WORDS[emotion];

  // One filler per slot for the whole conversation, so the user's story and the replies agree.
  const slots: Record<string, string> = { term: pick(rng, domain.vocabulary) };
  for (const [name, values] of Object.entries(domain.slots)) slots[name] = pick(rng, values);
  const topic = fillSlots(rng, situation.topic, slots).replace(/\.$/, '');
  // The situation's advice, in random order: the first reply uses one, follow-ups the next ones.
  const advices = rng.shuffle([...situation.advice]).map((a) => realize(rng, a, slots));
  const advice = advices.shift() as string;
  const guidance = [...domain.guidance];
  const takeGuidance = (query?: string): string => takeRelevant(rng, guidance, query);

  // After an opener that runs on ("Hey, ", "Okay, so "), the situation continues the sentence in lower case.
  const userOpener = pick(rng, USER_OPENERS);
  const story = /[,o] $/.test(userOpener) ? lowerFirst(situation.user) : situation.user;
  const user1 = realize(rng, `${userOpener}${story} ${pick(rng, USER_FEELING)} ${pick(rng, USER_ASKS)}`, {
    ...slots,
    feel: words.words,
  });
  const strategies: Strategy[] = [];
  const say = (strategy: Strategy, phrase: string, fillers: Fillers): string => {
    if (!strategies.includes(strategy)) strategies.push(strategy);
    return realize(rng, phrase, fillers);
  };
  const fillers: Fillers = {
    ...slots,
    feel: words.words.map(secondPerson),
    topic,
    advice,
    advice_lower: lowerFirst(advice),
    referral: referralOptions(domain.referral),
    crisis_referral: domain.crisis_referral ?? '',
  };
  const messages: GeneratedMessage[] = [
    { role: 'system', content: domain.system_prompt },
    { role: 'user', content: user1 },
  ];
  const done = (crisis: boolean): GeneratedSample => ({
    messages,
    domain: domain.name,
    category: domain.category,
    emotion,
    strategies,
    crisis,
    situation: situationIndex,
  });

  if (situation.crisis) {
    // Every crisis reply escalates: a crisis situation's advice is escalation-only (a referral to emergency help),
    // and half the replies also carry the domain's crisis line. Crisis text is never paraphrased.
    const reply = [
      say('acknowledge', pick(rng, CRISIS_PHRASES.acknowledge), fillers),
      rng.uniform() < 0.5 ? say('referral', pick(rng, CRISIS_PHRASES.referral), fillers) : '',
      say('referral', '{advice}', fillers),
      rng.uniform() < 0.5
        ? say('referral', pick(rng, CRISIS_PHRASES.followup), fillers)
        : say('open_question', pick(rng, CRISIS_PHRASES.open_question), fillers),
    ];
    messages.push({ role: 'assistant', content: reply.filter(Boolean).join(' ') });
    return done(true);
  }

  const phrases = { ...STRATEGY_PHRASES.any, ...STRATEGY_PHRASES[words.valence] };
  const sentence = (strategy: Strategy, extra: Fillers = {}): string => {
    const options = phrases[strategy];
    return options ? say(strategy, pick(rng, options), { ...fillers, ...extra }) : '';
  };
  const g1 = takeGuidance(situation.user);
  // First reply: an empathic opener, the situation's advice, then at most one more strategy.
  const opener = rng.uniform();
  const closers: Strategy[] = ['open_question', 'open_question', 'encourage', 'reflect', 'referral'];
  if (words.valence !== 'positive') closers.push('normalize');
  const closer = rng.uniform() < 0.3 ? pick(rng, closers) : undefined;
  const reply = [
    opener < 0.45
      ? say('acknowledge', pick(rng, EMOTION_ACKNOWLEDGEMENTS[emotion]), fillers)
      : sentence(opener < 0.8 ? 'acknowledge' : 'validate'),
    closer === 'reflect' || closer === 'normalize' ? sentence(closer) : '',
    sentence('guidance', { guidance: g1, guidance_lower: lowerFirst(g1) }),
    closer && closer !== 'reflect' && closer !== 'normalize' ? sentence(closer) : '',
  ];
  messages.push({ role: 'assistant', content: paraphrase(rng, reply.filter(Boolean).join(' ')) });

  const followUps = [...domain.follow_ups, ...GENERIC_FOLLOW_UPS];
  const turns = 1 + (rng.uniform() < 0.2 ? 1 + (rng.uniform() < 0.3 ? 1 : 0) : 0);
  for (let t = 1; t < turns; t++) {
    const question = realize(rng, followUps.splice(rng.int(followUps.length), 1)[0] as string, slots);
    const answer = advices.shift() ?? takeGuidance(question);
    const parts = [
      realize(rng, `${pick(rng, FOLLOWUP_OPENERS)}${answer}`, fillers),
      rng.uniform() < 0.3 ? sentence(pick(rng, ['encourage', 'open_question'] as const)) : '',
    ];
    if (!strategies.includes('guidance')) strategies.push('guidance');
    messages.push(
      { role: 'user', content: question },
      { role: 'assistant', content: paraphrase(rng, parts.filter(Boolean).join(' ')) },
    );
  }
  return done(false);
}

/**
 * Ways to name the referral: the catalog's whole phrase, or one or two of the people it lists ("a doctor, a nurse
 * or your pharmacist" → "a doctor", "a doctor or a nurse"...), so replies do not repeat one fixed phrase.
 */
export function referralOptions(referral: string): string[] {
  const parts = referral.split(/,\s*(?:or\s+)?|\s+or\s+/).map((p) => p.trim());
  // Only when every part names someone on its own ("a doctor", "your pharmacist"), not "counselor or psychiatrist".
  if (parts.length < 2 || !parts.every((p) => /^(a|an|the|your)\s/.test(p))) return [referral];
  const options = [referral, ...parts];
  for (let i = 0; i + 1 < parts.length; i++) options.push(`${parts[i]} or ${parts[i + 1]}`);
  return options;
}

/**
 * Removes and returns a guidance sentence relevant to `query`: one of the three sharing the most content words
 * with it (so a follow-up about sleep gets sleep guidance when there is some), chosen at random among them.
 */
function takeRelevant(rng: Rng, guidance: string[], query = ''): string {
  const q = contentWords(query);
  const ranked = guidance
    .map((g, i) => ({ i, score: [...contentWords(g)].filter((w) => q.has(w)).length + rng.uniform() * 0.5 }))
    .sort((a, b) => b.score - a.score);
  const chosen = pick(rng, ranked.slice(0, 3));
  return guidance.splice(chosen.i, 1)[0] as string;
}

const STOP = new Set(
  'the a an and or but to of in on for with my your i you it is are be can do what how when if so that this at as me about'.split(
    ' ',
  ),
);

function contentWords(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z']+/)
      .filter((w) => w.length > 2 && !STOP.has(w)),
  );
}
